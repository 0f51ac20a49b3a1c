//! The score sheet, as CSV and as a printable page.

use std::collections::BTreeMap;

use askama::Template;
use poem_openapi::{
    ApiResponse,
    payload::{Binary, Json},
};

use crate::error::ApiError;
use crate::evaluations::{panel, points, scoring::Outcome};

#[derive(ApiResponse)]
pub(super) enum EvaluationCreated<T: poem_openapi::types::ToJSON + Send + Sync> {
    #[oai(status = 201)]
    Created(Json<T>),
}

#[derive(ApiResponse)]
pub(super) enum SheetFile {
    /// One row per leaf: each assessor's score, the mean, the committee's decision, the value;
    /// then the totals.
    #[oai(status = 200, content_type = "text/csv; charset=utf-8")]
    Ok(
        Binary<Vec<u8>>,
        #[oai(header = "Content-Disposition")] String,
    ),
}

/// The printable score sheet.
#[derive(Template)]
#[template(path = "evaluations/score_sheet.html")]
pub(super) struct ScoreSheetPage<'a> {
    pub(super) organisation: &'a str,
    pub(super) code: &'a str,
    pub(super) campaign: &'a str,
    pub(super) assessors: usize,
    pub(super) rows: Vec<SheetRow>,
    pub(super) raw: String,
    pub(super) applicable_max: String,
    pub(super) total: String,
    pub(super) grade: String,
}

pub(super) struct SheetRow {
    pub(super) code: String,
    pub(super) name: String,
    pub(super) max: String,
    pub(super) scores: Vec<String>,
    pub(super) mean: String,
    pub(super) committee: String,
    pub(super) value: String,
    pub(super) flag: bool,
    /// The assessors' reasons for scores below the maximum.
    pub(super) reasons: String,
}

pub(super) fn sheet_rows(loaded: &crate::evaluations::Loaded, outcome: &Outcome) -> Vec<SheetRow> {
    let names: BTreeMap<String, String> = {
        fn walk(
            indicator: &crate::evaluations::rubric::Indicator,
            names: &mut BTreeMap<String, String>,
        ) {
            names.insert(indicator.code.clone(), indicator.name_zh.to_string());
            for child in &indicator.children {
                walk(child, names);
            }
        }
        let mut names = BTreeMap::new();
        for indicator in &loaded.rubric.indicators {
            walk(indicator, &mut names);
        }
        names
    };
    let decisions = panel::decisions_of(&loaded.application);
    // In the order of the scores: by assessor.
    let mut sheets: Vec<_> = loaded
        .assignments
        .iter()
        .filter(|assignment| assignment.submitted_at.is_some())
        .collect();
    sheets.sort_by_key(|assignment| assignment.assessor_user_id.to_string());
    let sheets: Vec<panel::ScoreSheet> = sheets.into_iter().map(panel::sheet_of).collect();
    outcome
        .leaves
        .iter()
        .map(|leaf| SheetRow {
            reasons: sheets
                .iter()
                .enumerate()
                .filter_map(|(index, sheet)| {
                    sheet
                        .get(&leaf.code)
                        .filter(|score| !score.reason.is_empty())
                        .map(|score| format!("专家{}：{}", index + 1, score.reason))
                })
                .collect::<Vec<_>>()
                .join("；"),
            name: names.get(&leaf.code).cloned().unwrap_or_default(),
            max: points(leaf.max),
            scores: leaf.scores.iter().map(|score| points(*score)).collect(),
            mean: points(leaf.mean),
            committee: match decisions.get(&leaf.code) {
                Some(decision) if decision.not_applicable => {
                    format!("不适用：{}", decision.reason)
                }
                Some(decision) => format!(
                    "{}：{}",
                    decision.value.map(points).unwrap_or_default(),
                    decision.reason
                ),
                None => String::new(),
            },
            value: if leaf.not_applicable {
                "—".to_owned()
            } else {
                points(leaf.value)
            },
            flag: leaf.disagreement,
            code: leaf.code.clone(),
        })
        .collect()
}

/// One row of a CSV the service writes: cells that would start a formula are made text.
pub(super) fn write_cells(
    writer: &mut csv::Writer<Vec<u8>>,
    cells: &[String],
) -> Result<(), ApiError> {
    writer
        .write_record(
            cells
                .iter()
                .map(|cell| crate::types::spreadsheet::neutralise(cell).into_owned()),
        )
        .map_err(ApiError::internal)
}

pub(super) fn sheet_csv(
    loaded: &crate::evaluations::Loaded,
    outcome: &Outcome,
) -> Result<Vec<u8>, ApiError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let assessors = loaded.assignments.len();
    let mut header = vec!["leaf".to_owned(), "indicator".to_owned(), "max".to_owned()];
    header.extend((1..=assessors).map(|index| format!("assessor_{index}")));
    header.extend(
        [
            "mean",
            "committee",
            "not_applicable",
            "disagreement",
            "value",
            "reasons",
        ]
        .into_iter()
        .map(str::to_owned),
    );
    write_cells(&mut writer, &header)?;
    for (row, leaf) in sheet_rows(loaded, outcome).into_iter().zip(&outcome.leaves) {
        let mut record = vec![row.code, row.name, row.max];
        record.extend(row.scores);
        record.push(row.mean);
        record.push(row.committee);
        record.push(leaf.not_applicable.to_string());
        record.push(leaf.disagreement.to_string());
        record.push(row.value);
        record.push(row.reasons);
        write_cells(&mut writer, &record)?;
    }
    for (label, value) in [
        ("raw", points(outcome.raw)),
        ("applicable_max", points(outcome.applicable_max)),
        ("total", points(outcome.total)),
        ("grade", outcome.grade.clone().unwrap_or_default()),
    ] {
        let mut record = vec![label.to_owned(), String::new(), String::new()];
        record.extend((0..assessors).map(|_| String::new()));
        record.extend([
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            value,
            String::new(),
        ]);
        write_cells(&mut writer, &record)?;
    }
    writer.into_inner().map_err(ApiError::internal)
}
