//! Rubrics as data: a tree of indicators with a maximum per node (children sum to their parent),
//! grade bands as half-open ranges of the total, and the days of publicity. Scores are
//! centi-points (hundredths of a point) throughout.

use poem_openapi::Object;
use serde::{Deserialize, Serialize};

use crate::{error::FieldError, types::Text};

/// One indicator: a parent (with children) or a leaf that assessors score.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// `2`, `2.5`: a child's code is its parent's followed by `.` and a number.
    #[oai(validator(max_length = 20))]
    pub code: String,
    pub name_zh: Text<200>,
    pub name_en: Text<200>,
    /// Centi-points; a parent's is the sum of its children's (every one above 0, and a rubric's
    /// total 1000 points, as `validate` checks).
    #[oai(validator(minimum(value = "1"), maximum(value = "100000")))]
    pub max: i64,
    #[serde(default)]
    #[oai(default)]
    pub children: Vec<Indicator>,
}

/// The lowest total (inclusive) of a grade; a grade runs up to the next band's minimum.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// `5A`, `4A`, `3A`, `2A` or `1A`.
    #[oai(validator(pattern = "^[1-5]A$"))]
    pub grade: String,
    pub min: i64,
}

/// What a rubric version holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Object)]
#[oai(skip_serializing_if_is_none)]
#[oai(deny_unknown_fields)]
#[serde(deny_unknown_fields)]
pub struct RubricContent {
    pub indicators: Vec<Indicator>,
    /// Highest grade first.
    pub bands: Vec<Band>,
    /// Checked by [`RubricContent::validate`] against the same bounds.
    #[oai(validator(minimum(value = "1"), maximum(value = "90")))]
    pub publicity_days: u32,
}

/// A leaf, as scoring sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Leaf {
    pub code: String,
    pub max: i64,
}

/// The grades a band may carry.
pub const GRADES: [&str; 5] = ["5A", "4A", "3A", "2A", "1A"];

/// Points to centi-points.
const fn points(value: i64) -> i64 {
    value * 100
}

impl RubricContent {
    /// The sum of the top-level maxima.
    pub fn total(&self) -> i64 {
        // Saturating: maxima come from requests, and a sum must not overflow before it is refused.
        self.indicators
            .iter()
            .fold(0_i64, |sum, indicator| sum.saturating_add(indicator.max))
    }

    /// Every leaf, in the tree's order.
    pub fn leaves(&self) -> Vec<Leaf> {
        fn walk(indicator: &Indicator, leaves: &mut Vec<Leaf>) {
            if indicator.children.is_empty() {
                leaves.push(Leaf {
                    code: indicator.code.clone(),
                    max: indicator.max,
                });
            }
            for child in &indicator.children {
                walk(child, leaves);
            }
        }
        let mut leaves = Vec::new();
        for indicator in &self.indicators {
            walk(indicator, &mut leaves);
        }
        leaves
    }

    /// A `leaves.<code>` error for every leaf `has` says is missing (an empty list: none is).
    pub fn missing_leaves(&self, has: impl Fn(&str) -> bool, detail: &str) -> Vec<FieldError> {
        self.leaves()
            .into_iter()
            .filter(|leaf| !has(&leaf.code))
            .map(|leaf| FieldError::new(format!("leaves.{}", leaf.code), "required", detail))
            .collect()
    }

    /// The grade of a total (`None` below the lowest band).
    pub fn grade_of(&self, total: i64) -> Option<&str> {
        self.bands
            .iter()
            .find(|band| total >= band.min)
            .map(|band| band.grade.as_str())
    }

    /// Every rule a rubric must keep, each broken one named by its field.
    pub fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        if self.indicators.is_empty() {
            errors.push(FieldError::new(
                "indicators",
                "required",
                "at least one indicator",
            ));
        }
        let mut codes = std::collections::HashSet::new();
        for (index, indicator) in self.indicators.iter().enumerate() {
            check_indicator(
                indicator,
                None,
                &format!("indicators[{index}]"),
                &mut codes,
                &mut errors,
            );
        }
        let total = self.total();
        if self.bands.is_empty() {
            errors.push(FieldError::new(
                "bands",
                "required",
                "at least one grade band",
            ));
        }
        let mut grades = std::collections::HashSet::new();
        for (index, band) in self.bands.iter().enumerate() {
            let field = format!("bands[{index}]");
            if !GRADES.contains(&band.grade.as_str()) {
                errors.push(FieldError::new(
                    format!("{field}.grade"),
                    "invalid",
                    "one of 5A, 4A, 3A, 2A, 1A",
                ));
            } else if !grades.insert(band.grade.as_str()) {
                errors.push(FieldError::new(
                    format!("{field}.grade"),
                    "duplicate",
                    "each grade has one band",
                ));
            }
            if band.min <= 0 || band.min > total {
                errors.push(FieldError::new(
                    format!("{field}.min"),
                    "out_of_range",
                    format!("above 0 and at most the rubric's total, {total}"),
                ));
            }
            let rank = |grade: &str| GRADES.iter().position(|known| *known == grade);
            if index > 0
                && let (Some(this), Some(previous)) =
                    (rank(&band.grade), rank(&self.bands[index - 1].grade))
                && this <= previous
            {
                errors.push(FieldError::new(
                    format!("{field}.grade"),
                    "out_of_order",
                    "grades run from 5A down to 1A",
                ));
            }
            if index > 0 && band.min >= self.bands[index - 1].min {
                errors.push(FieldError::new(
                    format!("{field}.min"),
                    "not_descending",
                    "bands run from the highest grade down, each starting lower",
                ));
            }
        }
        if self.publicity_days == 0 || self.publicity_days > 90 {
            errors.push(FieldError::new(
                "publicity_days",
                "out_of_range",
                "between 1 and 90 days",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The default rubric (`rubric.md`): 1000 points over four groups of indicators, 5A from 900.
    pub fn default_rubric() -> Self {
        let name = |text: &str| Text::parse(text).expect("the default rubric's names are valid");
        let leaf = |code: &str, name_zh: &str, name_en: &str, max: i64| Indicator {
            code: code.to_owned(),
            name_zh: name(name_zh),
            name_en: name(name_en),
            max: points(max),
            children: Vec::new(),
        };
        let group =
            |code: &str, name_zh: &str, name_en: &str, children: Vec<Indicator>| Indicator {
                code: code.to_owned(),
                name_zh: name(name_zh),
                name_en: name(name_en),
                max: children.iter().map(|child| child.max).sum(),
                children,
            };
        Self {
            indicators: vec![
                group(
                    "1",
                    "基础条件",
                    "Basic conditions",
                    vec![
                        leaf("1.1", "法人资格", "Legal-person status", 30),
                        leaf("1.2", "章程", "Charter", 20),
                        leaf("1.3", "登记备案", "Registration and filings", 30),
                    ],
                ),
                group(
                    "2",
                    "内部治理",
                    "Internal governance",
                    vec![
                        leaf("2.1", "发展规划", "Development planning", 30),
                        leaf(
                            "2.2",
                            "组织机构",
                            "Governing bodies (assembly, board, supervisors)",
                            100,
                        ),
                        leaf("2.3", "人力资源", "Human resources", 60),
                        leaf("2.4", "领导班子", "Leadership", 40),
                        leaf("2.5", "财务资产", "Finance and assets", 100),
                        leaf("2.6", "档案证章", "Records, certificates and seals", 40),
                    ],
                ),
                group(
                    "3",
                    "工作绩效",
                    "Work performance",
                    vec![
                        leaf("3.1", "提供服务", "Services delivered", 150),
                        leaf("3.2", "反映诉求", "Representing members' needs", 50),
                        leaf("3.3", "信息公开", "Information disclosure", 80),
                        leaf(
                            "3.4",
                            "政府购买服务",
                            "Government-funded projects delivered",
                            70,
                        ),
                        leaf("3.5", "特色工作", "Distinctive work", 50),
                    ],
                ),
                group(
                    "4",
                    "社会评价",
                    "Social evaluation",
                    vec![
                        leaf("4.1", "内部评价", "Members' and staff evaluation", 60),
                        leaf(
                            "4.2",
                            "外部评价",
                            "Beneficiaries' and public evaluation",
                            60,
                        ),
                        leaf("4.3", "表彰奖励", "Awards and recognition", 30),
                    ],
                ),
            ],
            bands: [
                ("5A", 900),
                ("4A", 800),
                ("3A", 700),
                ("2A", 600),
                ("1A", 500),
            ]
            .into_iter()
            .map(|(grade, min)| Band {
                grade: grade.to_owned(),
                min: points(min),
            })
            .collect(),
            publicity_days: 7,
        }
    }
}

fn check_indicator(
    indicator: &Indicator,
    parent: Option<&str>,
    field: &str,
    codes: &mut std::collections::HashSet<String>,
    errors: &mut Vec<FieldError>,
) {
    let well_formed = !indicator.code.is_empty()
        && indicator.code.split('.').all(|part| {
            !part.is_empty() && part.len() <= 3 && part.bytes().all(|b| b.is_ascii_digit())
        });
    let under_parent = match parent {
        None => !indicator.code.contains('.'),
        Some(parent) => indicator
            .code
            .strip_prefix(parent)
            .and_then(|rest| rest.strip_prefix('.'))
            .is_some_and(|rest| !rest.contains('.')),
    };
    if !well_formed || !under_parent {
        errors.push(FieldError::new(
            format!("{field}.code"),
            "invalid",
            match parent {
                None => "a number, such as 2".to_owned(),
                Some(parent) => format!("{parent} followed by . and a number, such as {parent}.1"),
            },
        ));
    } else if !codes.insert(indicator.code.clone()) {
        errors.push(FieldError::new(
            format!("{field}.code"),
            "duplicate",
            "each indicator has its own code",
        ));
    }
    for (name, text) in [
        ("name_zh", &indicator.name_zh),
        ("name_en", &indicator.name_en),
    ] {
        if let Err(code) = text.check() {
            errors.push(FieldError::new(
                format!("{field}.{name}"),
                code,
                crate::types::text_refusal(code, 200),
            ));
        }
    }
    if indicator.max <= 0 {
        errors.push(FieldError::new(
            format!("{field}.max"),
            "out_of_range",
            "a maximum above 0, in centi-points",
        ));
    }
    if !indicator.children.is_empty() {
        let sum = indicator
            .children
            .iter()
            .fold(0_i64, |sum, child| sum.saturating_add(child.max));
        if sum != indicator.max {
            errors.push(FieldError::new(
                format!("{field}.max"),
                "children_do_not_sum",
                format!(
                    "{} is {}, but its children sum to {sum}",
                    indicator.code, indicator.max
                ),
            ));
        }
    }
    for (index, child) in indicator.children.iter().enumerate() {
        check_indicator(
            child,
            Some(&indicator.code),
            &format!("{field}.children[{index}]"),
            codes,
            errors,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::{Band, RubricContent};

    fn fields(rubric: &RubricContent) -> Vec<String> {
        rubric
            .check()
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|error| format!("{}:{}", error.field, error.code))
            .collect()
    }

    #[test]
    fn the_default_rubric_holds_1000_points_over_seventeen_leaves() {
        let rubric = RubricContent::default_rubric();
        assert!(rubric.check().is_ok(), "{:?}", fields(&rubric));
        assert_eq!(rubric.total(), 100_000);
        let leaves = rubric.leaves();
        assert_eq!(leaves.len(), 17);
        assert_eq!(leaves[0].code, "1.1");
        assert_eq!(leaves.iter().map(|leaf| leaf.max).sum::<i64>(), 100_000);
        let maxima: Vec<i64> = rubric.indicators.iter().map(|group| group.max).collect();
        assert_eq!(maxima, [8_000, 37_000, 40_000, 15_000]);
    }

    #[test]
    fn bands_are_half_open_from_their_minimum() {
        let rubric = RubricContent::default_rubric();
        for (total, grade) in [
            (100_000, Some("5A")),
            (90_000, Some("5A")),
            (89_999, Some("4A")),
            (80_000, Some("4A")),
            (79_999, Some("3A")),
            (70_000, Some("3A")),
            (69_999, Some("2A")),
            (60_000, Some("2A")),
            (59_999, Some("1A")),
            (50_000, Some("1A")),
            (49_999, None),
            (0, None),
        ] {
            assert_eq!(rubric.grade_of(total), grade, "{total}");
        }
    }

    #[test]
    fn maxima_at_the_ends_of_the_integers_are_refused_not_overflowed() {
        let mut rubric = RubricContent::default_rubric();
        rubric.indicators[0].max = i64::MIN;
        rubric.indicators[0].children[0].max = i64::MIN;
        rubric.indicators[0].children[1].max = i64::MIN;
        rubric.indicators[1].max = i64::MAX;
        rubric.indicators[1].children[0].max = i64::MAX;
        rubric.indicators[1].children[1].max = i64::MAX;
        let refused = fields(&rubric);
        assert!(
            refused.contains(&"indicators[0].max:out_of_range".to_owned()),
            "{refused:?}"
        );
        assert!(rubric.check().is_err());
    }

    #[test]
    fn a_rubric_whose_children_do_not_sum_is_refused_naming_the_node() {
        let mut rubric = RubricContent::default_rubric();
        rubric.indicators[1].children[4].max += 100;
        assert_eq!(fields(&rubric), ["indicators[1].max:children_do_not_sum"]);

        let mut rubric = RubricContent::default_rubric();
        rubric.indicators[2].children[0].code = "2.1".to_owned();
        rubric.indicators[0].children[1].max = 0;
        let sent = |text: &str| serde_json::from_value(serde_json::json!(text)).unwrap();
        rubric.indicators[3].name_zh = sent(" ");
        rubric.indicators[3].children[0].name_en = sent("Members\u{202e}");
        assert_eq!(
            fields(&rubric),
            [
                "indicators[0].max:children_do_not_sum",
                "indicators[0].children[1].max:out_of_range",
                "indicators[2].children[0].code:invalid",
                "indicators[3].name_zh:required",
                "indicators[3].children[0].name_en:invisible_character",
            ]
        );
    }

    #[test]
    fn bands_must_descend_and_name_each_grade_once() {
        let mut rubric = RubricContent::default_rubric();
        rubric.bands[2].min = 85_000;
        rubric.bands.push(Band {
            grade: "5A".to_owned(),
            min: 10,
        });
        rubric.bands.push(Band {
            grade: "6A".to_owned(),
            min: 200_000,
        });
        rubric.publicity_days = 0;
        assert_eq!(
            fields(&rubric),
            [
                "bands[2].min:not_descending",
                "bands[5].grade:duplicate",
                "bands[5].grade:out_of_order",
                "bands[6].grade:invalid",
                "bands[6].min:out_of_range",
                "bands[6].min:not_descending",
                "publicity_days:out_of_range",
            ]
        );
    }
}
