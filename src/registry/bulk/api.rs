//! `/api/v1/tenants/{slug}/organisations/import` and `/api/v1/organisations/export`.

use poem_openapi::{
    ApiResponse, Object, OpenApi, Tags,
    param::{Path, Query},
    payload::{Binary, Json},
};
use tokio::io::AsyncReadExt;

use super::{ExportFilter, Format, ImportOptions, ImportReport, RowError, export, import};
use crate::auth::bearer::{BearerAuth, OptionalBearerAuth};
use crate::http::contract::Rule;
use crate::{
    documents::upload::UploadBody,
    error::{ApiError, ApiResult, FieldError},
    ratelimit,
    registry::model::{OrgStatus, OrgType},
    state::AppState,
    tenants,
};

/// Downloads of the register one address may make per minute without signing in.
const ANONYMOUS_EXPORTS_PER_MINUTE: i32 = 10;

#[derive(Tags)]
enum BulkTags {
    /// Moving a register in and out.
    Organisations,
}

/// One bad row of an import.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RowErrorResponse {
    /// The line in the file where the row starts; the header is line 1.
    pub line: u64,
    /// The column at fault; empty for the row as a whole.
    pub column: String,
    pub code: String,
    pub detail: String,
}

/// What an import found and did.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ImportReportResponse {
    /// Data rows read.
    pub rows: u64,
    /// Rows that passed every check.
    pub valid: u64,
    /// Rows written.
    pub imported: u64,
    pub dry_run: bool,
    /// The bad rows, in file order.
    pub errors: Vec<RowErrorResponse>,
}

impl From<RowError> for RowErrorResponse {
    fn from(error: RowError) -> Self {
        Self {
            line: error.line,
            column: error.column,
            code: error.code,
            detail: error.detail,
        }
    }
}

impl From<ImportReport> for ImportReportResponse {
    fn from(report: ImportReport) -> Self {
        Self {
            rows: report.rows,
            valid: report.valid,
            imported: report.imported,
            dry_run: report.dry_run,
            errors: report.errors.into_iter().map(Into::into).collect(),
        }
    }
}

/// The file format named in a request.
#[derive(Clone, Copy, Debug, poem_openapi::Enum)]
#[oai(rename_all = "lowercase")]
pub enum FileFormat {
    Csv,
    Jsonl,
}

impl From<FileFormat> for Format {
    fn from(format: FileFormat) -> Self {
        match format {
            FileFormat::Csv => Self::Csv,
            FileFormat::Jsonl => Self::JsonLines,
        }
    }
}

/// The register in the import columns, in the format asked for.
#[derive(poem_openapi::ResponseContent)]
enum RegisterBody {
    /// CSV with a header row.
    #[oai(content_type = "text/csv; charset=utf-8")]
    Csv(Binary<Vec<u8>>),
    /// One JSON object a line.
    #[oai(content_type = "application/x-ndjson")]
    JsonLines(Binary<Vec<u8>>),
}

#[derive(ApiResponse)]
enum RegisterFile {
    /// The register in the import columns: CSV with a header row, or JSON lines.
    #[oai(status = 200)]
    Ok(RegisterBody, #[oai(header = "Content-Disposition")] String),
}

impl BulkApi {
    /// Statuses this API's operations answer for rules the schema cannot express.
    pub const RULES: &'static [Rule] = &[Rule::new(
        "import_organisations",
        422,
        "every line of the file must be a valid organisation; each refused line is named",
    )];
}

pub struct BulkApi {
    state: AppState,
}

impl BulkApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// The report's errors as a validation problem: `lines[N].column` for each.
fn problem(report: &ImportReport) -> ApiError {
    ApiError::validation(
        report
            .errors
            .iter()
            .map(|error| {
                let field = if error.column.is_empty() {
                    format!("lines[{}]", error.line)
                } else {
                    format!("lines[{}].{}", error.line, error.column)
                };
                FieldError::new(field, &error.code, error.detail.clone())
            })
            .collect(),
    )
}

#[OpenApi(tag = "BulkTags::Organisations")]
impl BulkApi {
    /// Import an existing register into the tenant (its registry administrators): CSV (UTF-8,
    /// with or without a byte-order mark) or JSON lines with the columns `name`, `uscc`, `type`,
    /// `address`, `legal_representative`, `service_areas` (separated by `;`), `founded_on`,
    /// `registered_funds_fen`, `status`, and optionally `status_reason`, `status_date`. Every
    /// row is checked first; with a bad row nothing is written (422 naming each as
    /// `lines[N].column`, the header being line 1) unless `skip_invalid` imports the good rows
    /// and reports the rest. `dry_run` checks without writing. Imports disclose nothing.
    #[oai(
        path = "/tenants/:slug/organisations/import",
        method = "post",
        operation_id = "import_organisations"
    )]
    async fn import_organisations(
        &self,
        auth: BearerAuth,
        slug: Path<String>,
        dry_run: Query<Option<bool>>,
        skip_invalid: Query<Option<bool>>,
        format: Query<Option<FileFormat>>,
        body: UploadBody,
    ) -> ApiResult<Json<ImportReportResponse>> {
        let principal = auth.principal(&self.state).await?;
        let tenant = tenants::service::get_tenant(&self.state, &slug.0).await?;
        principal
            .tenant_access(&tenant.position())
            .require_manage()?;
        let limit = self.state.config.max_import_bytes;
        let mut bytes = Vec::new();
        body.reader
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .await
            .map_err(|error| ApiError::bad_request("unreadable_body", error.to_string()))?;
        if bytes.len() as u64 > limit {
            return Err(ApiError::payload_too_large(
                usize::try_from(limit).unwrap_or(usize::MAX),
            ));
        }
        let format = format.0.map(Format::from).or_else(|| {
            body.claimed_type.as_deref().and_then(|claimed| {
                let claimed = claimed.to_ascii_lowercase();
                if claimed.starts_with("text/csv") {
                    Some(Format::Csv)
                } else if claimed.contains("ndjson") || claimed.contains("jsonl") {
                    Some(Format::JsonLines)
                } else {
                    None
                }
            })
        });
        let options = ImportOptions {
            dry_run: dry_run.0.unwrap_or(false),
            skip_invalid: skip_invalid.0.unwrap_or(false),
            format,
        };
        let report = import(
            &self.state,
            &tenant,
            &bytes,
            options,
            Some(principal.user_id),
        )
        .await?;
        if !report.errors.is_empty() && !options.skip_invalid {
            return Err(problem(&report));
        }
        Ok(Json(report.into()))
    }

    /// Download the register (public): the import columns, CSV with a header row (default) or
    /// JSON lines, with the filters of the organisation list. An export imports again.
    /// Anonymous downloads are limited per address (`429` with `Retry-After`).
    #[allow(clippy::too_many_arguments)]
    #[oai(
        path = "/organisations/export",
        method = "get",
        operation_id = "export_organisations"
    )]
    async fn export_organisations(
        &self,
        auth: OptionalBearerAuth,
        format: Query<Option<FileFormat>>,
        tenant: Query<Option<String>>,
        status: Query<Option<OrgStatus>>,
        #[oai(name = "type")] org_type: Query<Option<OrgType>>,
        service_area: Query<Option<String>>,
        request: &poem::Request,
    ) -> ApiResult<RegisterFile> {
        if auth.principal(&self.state).await?.is_none() {
            // The whole register is a large answer: anonymous downloads are limited per address.
            let address = crate::clients::client_of(&self.state.config.trusted_proxies, request);
            if let Some(retry_after) = ratelimit::hit(
                &self.state.db,
                &format!("export:{address}"),
                ANONYMOUS_EXPORTS_PER_MINUTE,
                chrono::Duration::minutes(1),
                self.state.clock.now(),
            )
            .await?
            {
                return Err(ApiError::too_many_requests(retry_after));
            }
        }
        let format = format.0.unwrap_or(FileFormat::Csv);
        let filter = ExportFilter {
            tenant: tenant.0,
            status: status.0.map(|status| status.as_str().to_owned()),
            org_type: org_type.0.map(|kind| kind.as_str().to_owned()),
            service_area: service_area.0,
        };
        let mut bytes = Vec::new();
        export(&self.state, &filter, format.into(), &mut bytes).await?;
        let (body, extension) = match format {
            FileFormat::Csv => (RegisterBody::Csv(Binary(bytes)), "csv"),
            FileFormat::Jsonl => (RegisterBody::JsonLines(Binary(bytes)), "jsonl"),
        };
        Ok(RegisterFile::Ok(
            body,
            format!("attachment; filename=\"organisations.{extension}\""),
        ))
    }
}
