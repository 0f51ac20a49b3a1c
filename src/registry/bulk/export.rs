//! Writing the register out in the columns imports read, so that an export imports again.

use crate::types::spreadsheet;
use std::io::Write;

use entities::organisation;
use uuid::Uuid;

use super::{COLUMNS, Format};
use crate::{
    error::ApiError,
    registry::organisations::{repo::OrganisationFilter, service},
    state::AppState,
};

const PAGE: u64 = 1000;

/// Which organisations to write: the filters of the public list.
#[derive(Clone, Debug, Default)]
pub struct ExportFilter {
    /// A tenant's slug: its organisations and those of the tenants below it.
    pub tenant: Option<String>,
    pub status: Option<String>,
    pub org_type: Option<String>,
    pub service_area: Option<String>,
}

fn values(model: &organisation::Model) -> [String; 11] {
    let areas: Vec<String> = serde_json::from_str(&model.service_areas).unwrap_or_default();
    let day = |date: Option<chrono::NaiveDate>| {
        date.map(|date| date.format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    };
    [
        model.name.clone(),
        model.uscc.clone(),
        model.org_type.clone(),
        model.address.clone(),
        model.legal_representative.clone(),
        areas.join(";"),
        day(model.founded_on),
        model.registered_funds_fen.to_string(),
        model.status.clone(),
        model.status_reason.clone().unwrap_or_default(),
        day(model.status_date),
    ]
}

enum Sink<W: Write> {
    Csv(Box<csv::Writer<W>>),
    JsonLines(W),
}

impl<W: Write> Sink<W> {
    fn write(&mut self, values: [String; 11]) -> Result<(), ApiError> {
        match self {
            Sink::Csv(writer) => writer
                .write_record(
                    values
                        .iter()
                        .map(|value| spreadsheet::neutralise(value).into_owned()),
                )
                .map_err(ApiError::internal),
            Sink::JsonLines(out) => {
                let object: serde_json::Map<String, serde_json::Value> = COLUMNS
                    .iter()
                    .zip(values)
                    .map(|(column, value)| {
                        let value = match *column {
                            "registered_funds_fen" => value
                                .parse::<i64>()
                                .map_or(serde_json::Value::String(value), Into::into),
                            _ if value.is_empty() && column.starts_with("status_") => {
                                serde_json::Value::Null
                            }
                            _ => serde_json::Value::String(value),
                        };
                        ((*column).to_owned(), value)
                    })
                    .collect();
                serde_json::to_writer(&mut *out, &object).map_err(ApiError::internal)?;
                out.write_all(b"\n").map_err(ApiError::internal)
            }
        }
    }

    fn flush(&mut self) -> Result<(), ApiError> {
        match self {
            Sink::Csv(writer) => writer.flush(),
            Sink::JsonLines(out) => out.flush(),
        }
        .map_err(ApiError::internal)
    }
}

/// Writes every organisation the filter selects, newest first; returns how many.
pub async fn export<W: Write + Send>(
    state: &AppState,
    filter: &ExportFilter,
    format: Format,
    out: W,
) -> Result<u64, ApiError> {
    let mut sink = match format {
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record(COLUMNS).map_err(ApiError::internal)?;
            Sink::Csv(Box::new(writer))
        }
        Format::JsonLines => Sink::JsonLines(out),
    };
    let mut before_id: Option<Uuid> = None;
    let mut count = 0;
    loop {
        let page = service::list_organisations(
            state,
            filter.tenant.as_deref(),
            OrganisationFilter {
                tenants: None,
                status: filter.status.clone(),
                org_type: filter.org_type.clone(),
                service_area: filter.service_area.clone(),
                before_id,
            },
            PAGE,
        )
        .await?;
        for model in &page {
            sink.write(values(model))?;
        }
        sink.flush()?;
        count += page.len() as u64;
        match page.last() {
            Some(last) if page.len() as u64 == PAGE => before_id = Some(last.id),
            _ => break,
        }
    }
    sink.flush()?;
    Ok(count)
}
