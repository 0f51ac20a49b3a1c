//! Organisation names compared as people read them: full-width and half-width forms, spacing and
//! the commonest traditional characters do not make a name different.

/// Traditional → simplified for characters frequent in organisation names.
const TRADITIONAL: &[(char, char)] = &[
    ('會', '会'),
    ('協', '协'),
    ('務', '务'),
    ('區', '区'),
    ('門', '门'),
    ('國', '国'),
    ('華', '华'),
    ('東', '东'),
    ('學', '学'),
    ('愛', '爱'),
    ('關', '关'),
    ('發', '发'),
    ('業', '业'),
    ('團', '团'),
    ('體', '体'),
    ('興', '兴'),
    ('醫', '医'),
    ('療', '疗'),
    ('養', '养'),
    ('護', '护'),
    ('兒', '儿'),
    ('書', '书'),
    ('藝', '艺'),
    ('術', '术'),
    ('環', '环'),
    ('實', '实'),
    ('進', '进'),
    ('聯', '联'),
    ('勞', '劳'),
    ('動', '动'),
    ('職', '职'),
    ('員', '员'),
    ('長', '长'),
    ('樂', '乐'),
    ('應', '应'),
    ('創', '创'),
    ('廣', '广'),
    ('龍', '龙'),
    ('灣', '湾'),
    ('寶', '宝'),
    ('鄉', '乡'),
    ('鎮', '镇'),
    ('鄰', '邻'),
    ('後', '后'),
    ('為', '为'),
    ('與', '与'),
    ('舊', '旧'),
    ('壯', '壮'),
    ('殘', '残'),
    ('設', '设'),
    ('計', '计'),
    ('經', '经'),
    ('濟', '济'),
    ('貿', '贸'),
    ('運', '运'),
    ('輸', '输'),
    ('電', '电'),
    ('腦', '脑'),
    ('網', '网'),
    ('絡', '络'),
    ('圖', '图'),
    ('館', '馆'),
    ('場', '场'),
];

/// The key under which two names count as the same.
pub fn name_key(name: &str) -> String {
    name.chars()
        .filter_map(|character| {
            // Full-width ASCII (U+FF01–U+FF5E) to half-width; the ideographic space is a space.
            let character = match character {
                '\u{3000}' => ' ',
                '\u{FF01}'..='\u{FF5E}' => {
                    char::from_u32(u32::from(character) - 0xFEE0).unwrap_or(character)
                }
                other => other,
            };
            if character.is_whitespace() || matches!(character, '·' | '•' | '・') {
                return None;
            }
            let simplified = TRADITIONAL
                .iter()
                .find(|(traditional, _)| *traditional == character)
                .map_or(character, |(_, simplified)| *simplified);
            Some(simplified.to_lowercase().next().unwrap_or(simplified))
        })
        .map(|character| match character {
            '（' => '(',
            '）' => ')',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::name_key;

    #[test]
    fn widths_spaces_and_traditional_characters_do_not_matter() {
        let simplified = name_key("深圳市福田区长者关爱协会（ABC）");
        assert_eq!(name_key("深圳市福田區長者關愛協會(ＡＢＣ)"), simplified);
        assert_eq!(name_key("深圳市 福田区 长者关爱协会 (abc)"), simplified);
        assert_ne!(name_key("深圳市福田区长者关爱中心"), simplified);
    }
}
