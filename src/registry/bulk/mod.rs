//! Moving a register in and out: CSV (UTF-8, with or without a byte-order mark, any line
//! endings) or JSON lines with the same columns. Every row is checked before anything is
//! written; a bad row is reported by its line in the file (the header is line 1).

pub mod api;
mod export;
mod import;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

pub use export::{ExportFilter, export};
pub use import::{ImportOptions, ImportReport, import};

use crate::{
    registry::model::{OrgStatus, OrgType},
    types::{Uscc, required_text},
};

/// The columns, in the order exports write them.
pub const COLUMNS: [&str; 11] = [
    "name",
    "uscc",
    "type",
    "address",
    "legal_representative",
    "service_areas",
    "founded_on",
    "registered_funds_fen",
    "status",
    "status_reason",
    "status_date",
];

const REQUIRED: [&str; 9] = [
    "name",
    "uscc",
    "type",
    "address",
    "legal_representative",
    "service_areas",
    "founded_on",
    "registered_funds_fen",
    "status",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    JsonLines,
}

impl Format {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "csv" => Some(Self::Csv),
            "jsonl" | "ndjson" => Some(Self::JsonLines),
            _ => None,
        }
    }

    /// JSON lines when the first thing in the file is `{`, CSV otherwise.
    pub fn sniff(bytes: &[u8]) -> Self {
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        match text.iter().find(|byte| !byte.is_ascii_whitespace()) {
            Some(b'{') => Self::JsonLines,
            _ => Self::Csv,
        }
    }
}

/// One reason a row cannot be imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The line in the file where the row starts; the header is line 1.
    pub line: u64,
    /// The column at fault (empty for the row as a whole).
    pub column: String,
    pub code: String,
    pub detail: String,
}

impl RowError {
    fn new(line: u64, column: &str, code: &str, detail: impl Into<String>) -> Self {
        Self {
            line,
            column: column.to_owned(),
            code: code.to_owned(),
            detail: detail.into(),
        }
    }
}

/// A row as read: its line and its raw values by column.
#[derive(Debug)]
struct RawRow {
    line: u64,
    values: BTreeMap<String, String>,
}

/// A row that passed every check of its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisterRow {
    pub line: u64,
    pub name: String,
    pub uscc: String,
    pub org_type: OrgType,
    pub address: String,
    pub legal_representative: String,
    pub service_areas: Vec<String>,
    /// Unknown for some old records, as in the register itself.
    pub founded_on: Option<NaiveDate>,
    pub registered_funds_fen: i64,
    pub status: OrgStatus,
    pub status_reason: Option<String>,
    pub status_date: Option<NaiveDate>,
}

/// Reads the rows of a file; errors of the file's shape (an unreadable line, a missing or
/// unknown column) come back as row errors too.
fn read_rows(bytes: &[u8], format: Format) -> (Vec<RawRow>, Vec<RowError>) {
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let Ok(text) = std::str::from_utf8(text) else {
        return (
            Vec::new(),
            vec![RowError::new(1, "", "encoding", "the file is not UTF-8")],
        );
    };
    match format {
        Format::Csv => read_csv(text),
        Format::JsonLines => read_json_lines(text),
    }
}

fn check_columns<'a>(columns: impl Iterator<Item = &'a str> + Clone, line: u64) -> Vec<RowError> {
    let mut errors = Vec::new();
    for column in columns.clone() {
        if !COLUMNS.contains(&column) {
            errors.push(RowError::new(
                line,
                column,
                "unknown_column",
                format!("`{column}` is not a column of the register"),
            ));
        }
    }
    for required in REQUIRED {
        if !columns.clone().any(|column| column == required) {
            errors.push(RowError::new(
                line,
                required,
                "missing_column",
                format!("the column `{required}` is missing"),
            ));
        }
    }
    errors
}

/// An optional date column: `None` when empty; a value that is no date is reported (and
/// counts as empty).
fn optional_date(
    line: u64,
    column: &str,
    raw: &str,
    errors: &mut Vec<RowError>,
) -> Option<NaiveDate> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let day = date(raw);
    if day.is_none() {
        errors.push(RowError::new(
            line,
            column,
            "invalid",
            "a date as YYYY-MM-DD, or empty",
        ));
    }
    day
}

fn read_csv(text: &str) -> (Vec<RawRow>, Vec<RowError>) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(headers) => headers.iter().map(|name| name.trim().to_owned()).collect(),
        Err(error) => {
            return (
                Vec::new(),
                vec![RowError::new(1, "", "unreadable", error.to_string())],
            );
        }
    };
    let errors = check_columns(headers.iter().map(String::as_str), 1);
    if !errors.is_empty() {
        return (Vec::new(), errors);
    }
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut record = csv::StringRecord::new();
    // Lines counted from byte offsets: the reader's own count does not see `\r\n` endings.
    let mut lines = LineCounter::new(text.as_bytes());
    loop {
        let line = lines.line_at(reader.position().byte());
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record
                    .position()
                    .map_or(line, |position| lines.line_at(position.byte()));
                if record.iter().all(|value| value.trim().is_empty()) {
                    continue;
                }
                if record.len() != headers.len() {
                    errors.push(RowError::new(
                        line,
                        "",
                        "column_count",
                        format!(
                            "the row has {} values; the header has {} columns",
                            record.len(),
                            headers.len()
                        ),
                    ));
                    continue;
                }
                let values = headers
                    .iter()
                    .cloned()
                    .zip(
                        record
                            .iter()
                            .map(|cell| crate::types::spreadsheet::restore(cell).to_owned()),
                    )
                    .collect();
                rows.push(RawRow { line, values });
            }
            Err(error) => {
                let line = error
                    .position()
                    .map_or(line, |position| lines.line_at(position.byte()));
                errors.push(RowError::new(line, "", "unreadable", error.to_string()));
                break;
            }
        }
    }
    (rows, errors)
}

/// The line (from 1) of a byte offset, for offsets asked in increasing order: each question
/// counts only the bytes since the last one, so a whole file is counted once.
struct LineCounter<'a> {
    text: &'a [u8],
    counted_to: usize,
    newlines: u64,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a [u8]) -> Self {
        Self {
            text,
            counted_to: 0,
            newlines: 0,
        }
    }

    fn line_at(&mut self, byte: u64) -> u64 {
        let mut end = usize::try_from(byte)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        // A record may be said to start at the `\n` of the `\r\n` before it.
        while self
            .text
            .get(end)
            .is_some_and(|byte| *byte == b'\n' || *byte == b'\r')
        {
            end += 1;
        }
        if end < self.counted_to {
            // Asked about an earlier offset (an error's record start): count that prefix afresh.
            return self.text[..end]
                .iter()
                .filter(|byte| **byte == b'\n')
                .count() as u64
                + 1;
        }
        self.newlines += self.text[self.counted_to..end]
            .iter()
            .filter(|byte| **byte == b'\n')
            .count() as u64;
        self.counted_to = end;
        self.newlines + 1
    }
}

fn read_json_lines(text: &str) -> (Vec<RawRow>, Vec<RowError>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (index, line_text) in text.lines().enumerate() {
        let line = index as u64 + 1;
        if line_text.trim().is_empty() {
            continue;
        }
        let object: serde_json::Map<String, serde_json::Value> =
            match serde_json::from_str(line_text) {
                Ok(object) => object,
                Err(error) => {
                    errors.push(RowError::new(
                        line,
                        "",
                        "unreadable",
                        format!("not a JSON object: {error}"),
                    ));
                    continue;
                }
            };
        let column_errors = check_columns(object.keys().map(String::as_str), line);
        if !column_errors.is_empty() {
            errors.extend(column_errors);
            continue;
        }
        let values = object
            .into_iter()
            .map(|(column, value)| {
                let text = match value {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(text) => text,
                    serde_json::Value::Array(items) => items
                        .iter()
                        .map(|item| {
                            item.as_str()
                                .map_or_else(|| item.to_string(), str::to_owned)
                        })
                        .collect::<Vec<_>>()
                        .join(";"),
                    other => other.to_string(),
                };
                (column, text)
            })
            .collect();
        rows.push(RawRow { line, values });
    }
    (rows, errors)
}

fn date(value: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").ok()
}

/// Checks one row on its own; `today` bounds the dates.
fn check_row(raw: &RawRow, today: NaiveDate) -> Result<RegisterRow, Vec<RowError>> {
    let line = raw.line;
    let value = |column: &str| raw.values.get(column).map_or("", String::as_str);
    let mut errors = Vec::new();
    let mut text = |column: &str, max: usize| match required_text(value(column), max) {
        Ok(text) => text,
        Err(code) => {
            errors.push(RowError::new(
                line,
                column,
                code,
                format!("{column}: 1-{max} characters, no control characters"),
            ));
            String::new()
        }
    };
    let name = text("name", 200);
    let address = text("address", 500);
    let legal_representative = text("legal_representative", 100);
    let uscc = match Uscc::parse(value("uscc")) {
        Ok(code) => code.to_string(),
        Err(error) => {
            let code = if value("uscc").trim().is_empty() {
                "required"
            } else {
                "invalid"
            };
            errors.push(RowError::new(line, "uscc", code, error.to_string()));
            String::new()
        }
    };
    let org_type = OrgType::parse(value("type").trim());
    if org_type.is_none() {
        errors.push(RowError::new(
            line,
            "type",
            "invalid",
            "one of social_group, social_service_organisation, foundation",
        ));
    }
    let service_areas: Vec<String> = value("service_areas")
        .split(';')
        .map(str::trim)
        .filter(|area| !area.is_empty())
        .map(str::to_owned)
        .collect();
    if service_areas.is_empty() {
        errors.push(RowError::new(
            line,
            "service_areas",
            "required",
            "at least one service area, separated by `;`",
        ));
    } else if service_areas
        .iter()
        .any(|area| area.chars().count() > 50 || area.chars().any(char::is_control))
    {
        errors.push(RowError::new(
            line,
            "service_areas",
            "invalid",
            "each service area has 1-50 characters",
        ));
    }
    let founded_on = match optional_date(line, "founded_on", value("founded_on"), &mut errors) {
        Some(day) if day > today => {
            errors.push(RowError::new(
                line,
                "founded_on",
                "in_future",
                "the founding date lies in the future",
            ));
            None
        }
        day => day,
    };
    let funds = value("registered_funds_fen").trim().parse::<i64>().ok();
    if funds.is_none_or(|funds| funds < 0) {
        errors.push(RowError::new(
            line,
            "registered_funds_fen",
            "invalid",
            "a whole number of fen, zero or more",
        ));
    }
    let status = OrgStatus::parse(value("status").trim());
    if status.is_none() {
        errors.push(RowError::new(
            line,
            "status",
            "invalid",
            "one of registered, abnormal, deregistered, revoked",
        ));
    }
    let status_reason = match value("status_reason").trim() {
        "" => None,
        reason
            if reason.chars().count() > 1000
                || reason.chars().any(|character| {
                    character.is_control() && !matches!(character, '\n' | '\r' | '\t')
                }) =>
        {
            errors.push(RowError::new(
                line,
                "status_reason",
                "invalid",
                "at most 1000 characters; no control characters but line breaks and tabs",
            ));
            None
        }
        reason => Some(reason.to_owned()),
    };
    let status_date = match optional_date(line, "status_date", value("status_date"), &mut errors) {
        Some(day) if day > today || founded_on.is_some_and(|founded| day < founded) => {
            errors.push(RowError::new(
                line,
                "status_date",
                "out_of_range",
                "between the founding date and today",
            ));
            None
        }
        day => day,
    };
    match (org_type, funds, status) {
        (Some(org_type), Some(registered_funds_fen), Some(status)) if errors.is_empty() => {
            Ok(RegisterRow {
                line,
                name,
                uscc,
                org_type,
                address,
                legal_representative,
                service_areas,
                founded_on,
                registered_funds_fen,
                status,
                status_reason,
                status_date,
            })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(serial: u32) -> String {
        Uscc::issue('2', "440304", serial)
            .map(|code| code.to_string())
            .unwrap_or_default()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default()
    }

    const HEADER: &str = "name,uscc,type,address,legal_representative,service_areas,founded_on,registered_funds_fen,status";

    #[test]
    fn a_bom_and_windows_line_endings_are_read() {
        let file = format!(
            "\u{FEFF}{HEADER}\r\n深圳市福田区长者服务中心,{},social_service_organisation,福田区,张三,养老;社区,2015-03-01,3000000,registered\r\n",
            code(1)
        );
        let (rows, errors) = read_rows(file.as_bytes(), Format::sniff(file.as_bytes()));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].line, 2);
        assert_eq!(rows[0].values["status"], "registered");
    }

    #[test]
    fn missing_and_unknown_columns_are_named_on_line_one() {
        let file = "name,uscc,colour\n";
        let (_, errors) = read_rows(file.as_bytes(), Format::Csv);
        assert!(errors.iter().all(|error| error.line == 1));
        assert!(
            errors
                .iter()
                .any(|error| error.code == "unknown_column" && error.column == "colour")
        );
        assert!(
            errors
                .iter()
                .any(|error| error.code == "missing_column" && error.column == "founded_on")
        );
    }

    #[test]
    fn a_quoted_value_over_two_lines_keeps_the_next_row_on_its_own_line() {
        let file = format!(
            "{HEADER}\n\"甲\n乙\",X,social_group,a,b,c,2015-03-01,1,registered\n丙,Y,social_group,a,b,c,2015-03-01,1,registered\n"
        );
        let (rows, errors) = read_rows(file.as_bytes(), Format::Csv);
        assert!(errors.is_empty());
        assert_eq!(rows.iter().map(|row| row.line).collect::<Vec<_>>(), [2, 4]);
    }

    #[test]
    fn lines_are_counted_with_windows_endings_and_quoted_line_breaks() {
        let file = format!(
            "{HEADER}\r\n\"甲\r\n乙\",X,social_group,a,b,c,2015-03-01,1,registered\r\n丙,too,few\r\n\r\n丁,Y,social_group,a,b,c,,1,registered\r\n"
        );
        let (rows, errors) = read_rows(file.as_bytes(), Format::Csv);
        assert_eq!(rows.iter().map(|row| row.line).collect::<Vec<_>>(), [2, 6]);
        assert_eq!(
            errors
                .iter()
                .map(|error| (error.line, error.code.as_str()))
                .collect::<Vec<_>>(),
            [(4, "column_count")]
        );
    }

    #[test]
    fn an_unknown_founding_date_may_be_left_empty() {
        let file = format!(
            "{HEADER}\n甲协会,{},social_group,福田区,张三,养老,,1,registered\n",
            code(1)
        );
        let (rows, _) = read_rows(file.as_bytes(), Format::Csv);
        let row = check_row(&rows[0], today()).unwrap();
        assert_eq!(row.founded_on, None);
    }

    #[test]
    fn every_bad_value_of_a_row_is_reported() {
        let file = format!("{HEADER}\n,123,club,,,;,2099-01-01,-5,closed\n");
        let (rows, _) = read_rows(file.as_bytes(), Format::Csv);
        let errors = check_row(&rows[0], today()).unwrap_err();
        let columns: Vec<&str> = errors.iter().map(|error| error.column.as_str()).collect();
        for column in [
            "name",
            "uscc",
            "type",
            "address",
            "legal_representative",
            "service_areas",
            "founded_on",
            "registered_funds_fen",
            "status",
        ] {
            assert!(columns.contains(&column), "{column} missing in {columns:?}");
        }
        assert!(errors.iter().all(|error| error.line == 2));
    }

    #[test]
    fn json_lines_take_arrays_and_numbers() {
        let file = format!(
            r#"{{"name":"甲协会","uscc":"{}","type":"social_group","address":"福田区","legal_representative":"张三","service_areas":["养老","社区"],"founded_on":"2015-03-01","registered_funds_fen":30000,"status":"registered","status_reason":null}}"#,
            code(2)
        );
        let (rows, errors) = read_rows(file.as_bytes(), Format::sniff(file.as_bytes()));
        assert!(errors.is_empty(), "{errors:?}");
        let row = check_row(&rows[0], today()).unwrap();
        assert_eq!(row.service_areas, ["养老", "社区"]);
        assert_eq!(row.registered_funds_fen, 30000);
        assert_eq!(row.status_reason, None);
    }
}
