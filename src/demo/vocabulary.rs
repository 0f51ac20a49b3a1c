//! Words the demo builds Shenzhen's organisations from, and a small deterministic generator so
//! every load produces the same register.

/// A linear congruential generator (Knuth's MMIX constants): reproducible, good enough for
/// picking demo words, never for anything secret.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn roll(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    /// A number in `0..bound`.
    pub fn below(&mut self, bound: usize) -> usize {
        usize::try_from(self.roll() % bound.max(1) as u64).unwrap_or(0)
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// True with the given chance in percent.
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

/// The city and its ten districts: slug, name, English name, division code, streets.
pub const DISTRICTS: [(&str, &str, &str, &str, [&str; 3]); 10] = [
    (
        "futian",
        "福田区",
        "Futian District",
        "440304",
        ["福华路", "深南大道", "华强北路"],
    ),
    (
        "luohu",
        "罗湖区",
        "Luohu District",
        "440303",
        ["人民南路", "东门中路", "宝安南路"],
    ),
    (
        "yantian",
        "盐田区",
        "Yantian District",
        "440308",
        ["沙头角路", "海山路", "盐田路"],
    ),
    (
        "nanshan",
        "南山区",
        "Nanshan District",
        "440305",
        ["科技园路", "南海大道", "蛇口工业路"],
    ),
    (
        "baoan",
        "宝安区",
        "Bao'an District",
        "440306",
        ["新安路", "西乡大道", "宝安大道"],
    ),
    (
        "longgang",
        "龙岗区",
        "Longgang District",
        "440307",
        ["龙城大道", "布吉路", "坂田路"],
    ),
    (
        "longhua",
        "龙华区",
        "Longhua District",
        "440309",
        ["民治大道", "人民路", "观澜大道"],
    ),
    (
        "pingshan",
        "坪山区",
        "Pingshan District",
        "440310",
        ["坪山大道", "东纵路", "龙兴路"],
    ),
    (
        "guangming",
        "光明区",
        "Guangming District",
        "440311",
        ["光明大道", "华夏路", "公明路"],
    ),
    // Dapeng New District is a functional area without a division code of its own; it was
    // carved out of Longgang, whose code its organisations carry.
    (
        "dapeng",
        "大鹏新区",
        "Dapeng New District",
        "440307",
        ["葵涌路", "大鹏路", "南澳路"],
    ),
];

/// Topics of community organisations, with the service area they belong to.
pub const TOPICS: &[(&str, &str)] = &[
    ("长者关爱", "养老服务"),
    ("颐康养老", "养老服务"),
    ("青少年发展", "青少年服务"),
    ("儿童成长", "儿童福利"),
    ("助残", "助残服务"),
    ("康复互助", "助残服务"),
    ("妇女发展", "社区服务"),
    ("邻里互助", "社区服务"),
    ("社区公益", "社区服务"),
    ("义工", "社区服务"),
    ("家庭综合", "社会工作"),
    ("心理健康", "心理健康"),
    ("法律援助", "法律援助"),
    ("环境保护", "环境保护"),
    ("绿色生活", "环境保护"),
    ("阅读推广", "文化"),
    ("书法", "文化"),
    ("摄影", "文化"),
    ("粤剧", "文化"),
    ("客家文化", "文化"),
    ("潮汕文化", "文化"),
    ("围棋", "体育"),
    ("跆拳道", "体育"),
    ("龙舟", "体育"),
    ("户外运动", "体育"),
    ("科技创新", "科技"),
    ("创客", "科技"),
    ("慈善救助", "慈善救助"),
    ("扶贫济困", "慈善救助"),
    ("教育发展", "教育"),
    ("外来务工人员服务", "社会工作"),
    ("禁毒", "社会工作"),
    ("社区矫正", "社会工作"),
    ("医疗援助", "卫生健康"),
    ("健康促进", "卫生健康"),
];

/// Industries of trade associations and chambers of commerce (行业协会商会).
pub const INDUSTRIES: &[&str] = &[
    "软件",
    "集成电路",
    "物流",
    "电子商务",
    "物业管理",
    "建筑装饰",
    "钟表",
    "黄金珠宝",
    "服装",
    "家具",
    "印刷",
    "餐饮",
    "跨境电商",
    "新能源汽车",
    "无人机",
    "医疗器械",
    "检验检测",
    "会展",
    "文化创意",
    "游艇",
];

pub const GROUP_SUFFIXES: &[&str] = &["协会", "促进会", "联合会", "研究会"];
pub const SERVICE_SUFFIXES: &[&str] = &["服务中心", "社工服务社", "发展中心", "服务社", "康复中心"];
pub const FOUNDATION_SUFFIXES: &[&str] = &["基金会", "公益基金会", "慈善基金会"];

pub const SURNAMES: &[&str] = &[
    "李", "王", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "邓", "冯", "韩", "曹", "曾",
];

pub const GIVEN_NAMES: &[&str] = &[
    "明", "芳", "伟", "静", "强", "丽", "军", "敏", "磊", "洋", "艳", "勇", "杰", "娟", "涛", "超",
    "霞", "平", "刚", "华", "建国", "晓燕", "志强", "海涛", "丽娟", "文彬", "嘉欣", "子豪",
];
