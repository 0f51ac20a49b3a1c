//! Aggregating a panel's scores into a total and a grade, exactly as `rubric.md` says: the mean
//! of the assessors per leaf (the highest and the lowest dropped with five or more), a committee's
//! value with a reason wins, leaves marked not applicable leave the sum and the total is rescaled
//! to the rubric's, a spread over 30 % of a leaf's maximum is flagged. Everything is in
//! centi-points, and each leaf mean and the rescaled total round half up to centi-points.

use std::collections::BTreeMap;

use super::rubric::{Leaf, RubricContent};

/// Assessors a panel needs.
pub const MIN_ASSESSORS: usize = 3;
/// From this many assessors on, each leaf drops its highest and lowest score.
pub const TRIM_FROM: usize = 5;
/// A spread above this share of the leaf's maximum (in percent) is flagged.
pub const DISAGREEMENT_PERCENT: i64 = 30;

/// `numerator / denominator` rounded half up (both at least 0, the denominator above 0).
pub fn div_half_up(numerator: i128, denominator: i128) -> i64 {
    debug_assert!(numerator >= 0 && denominator > 0);
    i64::try_from((2 * numerator + denominator) / (2 * denominator)).unwrap_or(i64::MAX)
}

/// What the committee decided about a leaf.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The leaf's final value, with the committee's reason.
    Override { value: i64, reason: String },
    /// The leaf does not apply to this organisation: it leaves the total, which is rescaled.
    NotApplicable { reason: String },
}

/// The panel's scores: assessor → leaf code → centi-points.
pub type Scores = BTreeMap<String, BTreeMap<String, i64>>;

/// One leaf's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LeafResult {
    pub code: String,
    pub max: i64,
    /// Each assessor's score, in the order of the assessors' keys.
    pub scores: Vec<i64>,
    /// The mean of the scores counted (after trimming), rounded half up.
    pub mean: i64,
    /// The committee's value, when it set one.
    pub overridden: Option<i64>,
    pub not_applicable: bool,
    /// The spread of the scores exceeds 30 % of the maximum.
    pub disagreement: bool,
    /// What counts towards the total (0 for a leaf not applicable).
    pub value: i64,
}

/// The panel's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub leaves: Vec<LeafResult>,
    /// The sum of the applicable leaves' values.
    pub raw: i64,
    /// The sum of the applicable leaves' maxima.
    pub applicable_max: i64,
    /// `raw`, rescaled to the rubric's total when leaves were not applicable.
    pub total: i64,
    pub grade: Option<String>,
}

/// Why a panel's scores cannot be aggregated.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScoringError {
    #[error("a panel needs at least {MIN_ASSESSORS} assessors; this one has {0}")]
    TooFewAssessors(usize),
    #[error("assessor {assessor} has not scored leaf {leaf}")]
    Missing { assessor: String, leaf: String },
    #[error("leaf {leaf} is scored {value}, outside 0 to {max}")]
    OutOfRange { leaf: String, value: i64, max: i64 },
    #[error("no leaf of the rubric applies")]
    NothingApplies,
}

fn in_range(leaf: &Leaf, value: i64) -> Result<i64, ScoringError> {
    if (0..=leaf.max).contains(&value) {
        Ok(value)
    } else {
        Err(ScoringError::OutOfRange {
            leaf: leaf.code.clone(),
            value,
            max: leaf.max,
        })
    }
}

/// Aggregates the panel's scores with the committee's decisions.
pub fn aggregate(
    rubric: &RubricContent,
    scores: &Scores,
    decisions: &BTreeMap<String, Decision>,
) -> Result<Outcome, ScoringError> {
    if scores.len() < MIN_ASSESSORS {
        return Err(ScoringError::TooFewAssessors(scores.len()));
    }
    let mut leaves = Vec::new();
    for leaf in rubric.leaves() {
        let mut given = Vec::with_capacity(scores.len());
        for (assessor, sheet) in scores {
            let value = sheet
                .get(&leaf.code)
                .copied()
                .ok_or_else(|| ScoringError::Missing {
                    assessor: assessor.clone(),
                    leaf: leaf.code.clone(),
                })?;
            given.push(in_range(&leaf, value)?);
        }
        let mut counted = given.clone();
        counted.sort_unstable();
        if counted.len() >= TRIM_FROM {
            counted.remove(0);
            counted.pop();
        }
        let sum: i128 = counted.iter().map(|value| i128::from(*value)).sum();
        let mean = div_half_up(sum, counted.len() as i128);
        let spread = given.iter().max().unwrap_or(&0) - given.iter().min().unwrap_or(&0);
        let disagreement = spread * 100 > DISAGREEMENT_PERCENT * leaf.max;
        let (overridden, not_applicable) = match decisions.get(&leaf.code) {
            Some(Decision::Override { value, .. }) => (Some(in_range(&leaf, *value)?), false),
            Some(Decision::NotApplicable { .. }) => (None, true),
            None => (None, false),
        };
        let value = if not_applicable {
            0
        } else {
            overridden.unwrap_or(mean)
        };
        leaves.push(LeafResult {
            code: leaf.code,
            max: leaf.max,
            scores: given,
            mean,
            overridden,
            not_applicable,
            disagreement,
            value,
        });
    }
    let applicable = leaves.iter().filter(|leaf| !leaf.not_applicable);
    let raw: i64 = applicable.clone().map(|leaf| leaf.value).sum();
    let applicable_max: i64 = applicable.map(|leaf| leaf.max).sum();
    if applicable_max == 0 {
        return Err(ScoringError::NothingApplies);
    }
    let full = rubric.total();
    let total = if applicable_max == full {
        raw
    } else {
        div_half_up(
            i128::from(raw) * i128::from(full),
            i128::from(applicable_max),
        )
    };
    Ok(Outcome {
        leaves,
        raw,
        applicable_max,
        total,
        grade: rubric.grade_of(total).map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::{Decision, Scores, ScoringError, aggregate, div_half_up};
    use crate::evaluations::rubric::{Band, Indicator, RubricContent};

    /// A small rubric: two groups, four leaves, 100 points; 5A from 90, 4A from 80 … 1A from 50.
    fn small() -> RubricContent {
        let leaf = |code: &str, max: i64| Indicator {
            code: code.to_owned(),
            name_zh: crate::types::Text::parse(code).unwrap(),
            name_en: crate::types::Text::parse(code).unwrap(),
            max,
            children: Vec::new(),
        };
        RubricContent {
            indicators: vec![
                Indicator {
                    children: vec![leaf("1.1", 2_000), leaf("1.2", 3_000)],
                    ..leaf("1", 5_000)
                },
                Indicator {
                    children: vec![leaf("2.1", 4_000), leaf("2.2", 1_000)],
                    ..leaf("2", 5_000)
                },
            ],
            bands: [
                ("5A", 9_000),
                ("4A", 8_000),
                ("3A", 7_000),
                ("2A", 6_000),
                ("1A", 5_000),
            ]
            .into_iter()
            .map(|(grade, min)| Band {
                grade: grade.to_owned(),
                min,
            })
            .collect(),
            publicity_days: 7,
        }
    }

    /// Assessors `a`, `b`, … each with one score per leaf, leaves in the rubric's order.
    fn panel(sheets: &[[i64; 4]]) -> Scores {
        let codes = ["1.1", "1.2", "2.1", "2.2"];
        sheets
            .iter()
            .enumerate()
            .map(|(index, sheet)| {
                (
                    char::from(b'a' + index as u8).to_string(),
                    codes
                        .iter()
                        .zip(sheet)
                        .map(|(code, value)| ((*code).to_owned(), *value))
                        .collect(),
                )
            })
            .collect()
    }

    #[test]
    fn half_up_rounding() {
        for (numerator, denominator, expected) in [
            (0, 3, 0),
            (1, 3, 0),
            (2, 3, 1),
            (3, 2, 2),
            (5, 2, 3),
            (7, 2, 4),
            (1_000_001, 2, 500_001),
            (10, 4, 3),
            (9, 4, 2),
        ] {
            assert_eq!(
                div_half_up(numerator, denominator),
                expected,
                "{numerator}/{denominator}"
            );
        }
    }

    /// Each assessor's sheet, the leaf means, the total and the grade.
    type Case = (Vec<[i64; 4]>, [i64; 4], i64, Option<&'static str>);

    #[test]
    fn table_of_panels() {
        let rubric = small();
        let none = BTreeMap::new();
        let cases: Vec<Case> = vec![
            // Three assessors: plain means, rounded half up (1800+1900+1950 = 5650 / 3 = 1883.33).
            (
                vec![
                    [1_800, 3_000, 4_000, 1_000],
                    [1_900, 3_000, 4_000, 1_000],
                    [1_950, 3_000, 3_999, 1_000],
                ],
                [1_883, 3_000, 4_000, 1_000],
                9_883,
                Some("5A"),
            ),
            // Means round half up: with three assessors 4/3 → 1, 7/3 → 2, 1/3 → 0, 1501/3 → 500 …
            (
                vec![[1, 2, 0, 500], [1, 2, 0, 500], [2, 3, 1, 501]],
                [1, 2, 0, 500],
                503,
                None,
            ),
            // … and with four, 6/4 → 2, 10/4 → 3, 2/4 → 1, 2002/4 → 501: x.5 goes up.
            (
                vec![
                    [1, 2, 0, 500],
                    [1, 2, 0, 500],
                    [2, 3, 1, 501],
                    [2, 3, 1, 501],
                ],
                [2, 3, 1, 501],
                507,
                None,
            ),
            // Exactly on a band's boundary: 9000 is 5A, 8999 is 4A.
            (
                vec![[2_000, 3_000, 3_000, 1_000]; 3],
                [2_000, 3_000, 3_000, 1_000],
                9_000,
                Some("5A"),
            ),
            (
                vec![[2_000, 3_000, 2_999, 1_000]; 3],
                [2_000, 3_000, 2_999, 1_000],
                8_999,
                Some("4A"),
            ),
            (
                vec![[1_000, 1_500, 2_000, 500]; 3],
                [1_000, 1_500, 2_000, 500],
                5_000,
                Some("1A"),
            ),
            (
                vec![[1_000, 1_500, 1_999, 500]; 3],
                [1_000, 1_500, 1_999, 500],
                4_999,
                None,
            ),
            // Five assessors: the highest and lowest of each leaf are dropped.
            (
                vec![
                    [0, 3_000, 4_000, 1_000],
                    [1_500, 2_900, 3_000, 900],
                    [1_600, 2_800, 3_100, 800],
                    [1_700, 2_700, 3_200, 700],
                    [2_000, 0, 3_300, 0],
                ],
                // 1.1: 1500,1600,1700 → 1600; 1.2: 2700,2800,2900 → 2800;
                // 2.1: 3100,3200,3300 → 3200; 2.2: 700,800,900 → 800.
                [1_600, 2_800, 3_200, 800],
                8_400,
                Some("4A"),
            ),
        ];
        for (index, (sheets, means, total, grade)) in cases.into_iter().enumerate() {
            let outcome = aggregate(&rubric, &panel(&sheets), &none).unwrap();
            let got: Vec<i64> = outcome.leaves.iter().map(|leaf| leaf.mean).collect();
            assert_eq!(got, means, "case {index}");
            assert_eq!(outcome.total, total, "case {index}");
            assert_eq!(outcome.grade.as_deref(), grade, "case {index}");
        }
    }

    #[test]
    fn the_committee_overrides_and_removes_leaves_and_the_total_is_rescaled() {
        let rubric = small();
        let sheets = [[1_500, 2_400, 3_200, 500]; 3];
        let mut decisions = BTreeMap::new();
        decisions.insert(
            "1.1".to_owned(),
            Decision::Override {
                value: 1_800,
                reason: "材料补充后复核".to_owned(),
            },
        );
        let outcome = aggregate(&rubric, &panel(&sheets), &decisions).unwrap();
        assert_eq!(outcome.leaves[0].mean, 1_500);
        assert_eq!(outcome.leaves[0].value, 1_800);
        assert_eq!(outcome.total, 1_800 + 2_400 + 3_200 + 500);

        // 2.2 (max 10 points) does not apply: the total is rescaled from 90 points to 100.
        decisions.insert(
            "2.2".to_owned(),
            Decision::NotApplicable {
                reason: "无会员".to_owned(),
            },
        );
        let outcome = aggregate(&rubric, &panel(&sheets), &decisions).unwrap();
        assert!(outcome.leaves[3].not_applicable);
        assert_eq!(outcome.leaves[3].value, 0);
        assert_eq!(outcome.raw, 7_400);
        assert_eq!(outcome.applicable_max, 9_000);
        // 7,400 × 10,000 / 9,000 = 8,222.22 → 8,222.
        assert_eq!(outcome.total, 8_222);
        assert_eq!(outcome.grade.as_deref(), Some("4A"));

        // The rescaled total rounds half up too: with 1.1 (20 points) not applicable, 4,002 of
        // 8,000 is 5,002.5 → 5,003, and 4,001 is 5,001.25 → 5,001.
        let only_first: BTreeMap<String, Decision> = [(
            "1.1".to_owned(),
            Decision::NotApplicable {
                reason: String::new(),
            },
        )]
        .into_iter()
        .collect();
        for (two_one, total) in [(2_002, 5_003), (2_001, 5_001)] {
            let outcome = aggregate(
                &rubric,
                &panel(&[[0, 1_000, two_one, 1_000]; 3]),
                &only_first,
            )
            .unwrap();
            assert_eq!(outcome.total, total, "{two_one}");
            assert_eq!(outcome.grade.as_deref(), Some("1A"));
        }
    }

    #[test]
    fn wide_disagreement_is_flagged() {
        let rubric = small();
        // 2.1 (max 4,000): spread 1,200 is 30 % — not over; 1,201 is.
        let at = [
            [2_000, 3_000, 2_000, 1_000],
            [2_000, 3_000, 3_200, 1_000],
            [2_000, 3_000, 2_500, 1_000],
        ];
        let outcome = aggregate(&rubric, &panel(&at), &BTreeMap::new()).unwrap();
        assert!(!outcome.leaves[2].disagreement);
        let over = [
            [2_000, 3_000, 2_000, 1_000],
            [2_000, 3_000, 3_201, 1_000],
            [2_000, 3_000, 2_500, 1_000],
        ];
        let outcome = aggregate(&rubric, &panel(&over), &BTreeMap::new()).unwrap();
        assert!(outcome.leaves[2].disagreement);
        assert!(
            outcome
                .leaves
                .iter()
                .filter(|leaf| leaf.disagreement)
                .count()
                == 1
        );
    }

    #[test]
    fn incomplete_or_impossible_panels_are_refused() {
        let rubric = small();
        let none = BTreeMap::new();
        assert_eq!(
            aggregate(&rubric, &panel(&[[0; 4]; 2]), &none),
            Err(ScoringError::TooFewAssessors(2))
        );
        let mut missing = panel(&[[0; 4]; 3]);
        missing.get_mut("b").unwrap().remove("2.1");
        assert_eq!(
            aggregate(&rubric, &missing, &none),
            Err(ScoringError::Missing {
                assessor: "b".to_owned(),
                leaf: "2.1".to_owned()
            })
        );
        assert!(matches!(
            aggregate(&rubric, &panel(&[[2_001, 0, 0, 0]; 3]), &none),
            Err(ScoringError::OutOfRange { .. })
        ));
        assert!(matches!(
            aggregate(&rubric, &panel(&[[-1, 0, 0, 0]; 3]), &none),
            Err(ScoringError::OutOfRange { .. })
        ));
        let everything: BTreeMap<String, Decision> = ["1.1", "1.2", "2.1", "2.2"]
            .into_iter()
            .map(|code| {
                (
                    code.to_owned(),
                    Decision::NotApplicable {
                        reason: String::new(),
                    },
                )
            })
            .collect();
        assert_eq!(
            aggregate(&rubric, &panel(&[[0; 4]; 3]), &everything),
            Err(ScoringError::NothingApplies)
        );
    }
}
