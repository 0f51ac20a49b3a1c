//! Importing a register: every row checked on its own, against the other rows of the file and
//! against the register; then all rows (or, when asked, the good ones) written in one
//! transaction. Imports announce nothing: the organisations were registered long ago.

use std::collections::{BTreeMap, HashMap};

use entities::{organisation, organisation_event};
use sea_orm::{ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect};
use serde::Serialize;
use uuid::Uuid;

use super::{Format, RegisterRow, RowError, check_row, read_rows};
use crate::{
    audit::{self, AuditEvent},
    db::{self, Scope},
    error::ApiError,
    registry::model::OrgStatus,
    state::AppState,
    tenants::TenantRef,
    types::name_key,
};

/// Rows per insert statement (SQLite allows 32,766 parameters; a row has 23).
const CHUNK: usize = 500;

#[derive(Clone, Copy, Debug, Default)]
pub struct ImportOptions {
    /// Check everything, write nothing.
    pub dry_run: bool,
    /// Import the good rows and report the bad ones, instead of writing nothing.
    pub skip_invalid: bool,
    /// Read the file as this; by default JSON lines when it starts with `{`, CSV otherwise.
    pub format: Option<Format>,
}

/// What an import found and did.
#[derive(Clone, Debug, Serialize)]
pub struct ImportReport {
    /// Data rows read (blank lines not counted).
    pub rows: u64,
    /// Rows that passed every check.
    pub valid: u64,
    /// Rows written: 0 for a dry run, or when a bad row stopped the import.
    pub imported: u64,
    pub dry_run: bool,
    /// Every bad row, by line, in file order.
    pub errors: Vec<RowError>,
}

/// Checks a file and imports it into the tenant's register. `actor` is the user (or none for
/// the command line), for the audit log.
pub async fn import(
    state: &AppState,
    tenant: &TenantRef,
    bytes: &[u8],
    options: ImportOptions,
    actor: Option<Uuid>,
) -> Result<ImportReport, ApiError> {
    let format = options.format.unwrap_or_else(|| Format::sniff(bytes));
    let (raw_rows, mut errors) = read_rows(bytes, format);
    let now = state.clock.now();
    let today = tenant.local_date(now);
    let mut rows = Vec::with_capacity(raw_rows.len());
    for raw in &raw_rows {
        match check_row(raw, today) {
            Ok(row) => rows.push(row),
            Err(row_errors) => errors.extend(row_errors),
        }
    }
    let rows = without_duplicates(state, tenant, rows, &mut errors).await?;
    errors.sort_by_key(|error| error.line);
    let mut report = ImportReport {
        rows: raw_rows.len() as u64,
        valid: rows.len() as u64,
        imported: 0,
        dry_run: options.dry_run,
        errors,
    };
    if options.dry_run || (!report.errors.is_empty() && !options.skip_invalid) || rows.is_empty() {
        return Ok(report);
    }
    write(state, tenant, &rows, now, today, actor).await?;
    report.imported = rows.len() as u64;
    Ok(report)
}

fn is_live(status: OrgStatus) -> bool {
    matches!(status, OrgStatus::Registered | OrgStatus::Abnormal)
}

/// Drops rows whose code (anywhere) or live name (in the tenant) is taken by an earlier row of
/// the file or by the register, with an error for each.
async fn without_duplicates(
    state: &AppState,
    tenant: &TenantRef,
    rows: Vec<RegisterRow>,
    errors: &mut Vec<RowError>,
) -> Result<Vec<RegisterRow>, ApiError> {
    let mut taken_codes: HashMap<String, u64> = HashMap::new();
    let mut taken_names: HashMap<String, u64> = HashMap::new();
    let mut unique = Vec::with_capacity(rows.len());
    for row in rows {
        let key = name_key(&row.name);
        let mut duplicate = false;
        if let Some(first) = taken_codes.get(&row.uscc) {
            errors.push(RowError::new(
                row.line,
                "uscc",
                "duplicate_in_file",
                format!("line {first} has the same code"),
            ));
            duplicate = true;
        }
        if is_live(row.status)
            && let Some(first) = taken_names.get(&key)
        {
            errors.push(RowError::new(
                row.line,
                "name",
                "duplicate_in_file",
                format!("line {first} has the same name"),
            ));
            duplicate = true;
        }
        if duplicate {
            continue;
        }
        taken_codes.insert(row.uscc.clone(), row.line);
        if is_live(row.status) {
            taken_names.insert(key, row.line);
        }
        unique.push(row);
    }
    let mut registered_codes = std::collections::HashSet::new();
    let mut registered_names = std::collections::HashSet::new();
    for chunk in unique.chunks(CHUNK) {
        let codes: Vec<String> = chunk.iter().map(|row| row.uscc.clone()).collect();
        registered_codes.extend(
            organisation::Entity::find()
                .select_only()
                .column(organisation::Column::Uscc)
                .filter(organisation::Column::Uscc.is_in(codes))
                .into_tuple::<String>()
                .all(&state.db)
                .await?,
        );
        let keys: Vec<String> = chunk.iter().map(|row| name_key(&row.name)).collect();
        registered_names.extend(
            organisation::Entity::find()
                .select_only()
                .column(organisation::Column::NameKey)
                .filter(organisation::Column::TenantId.eq(tenant.id()))
                .filter(
                    organisation::Column::Status
                        .is_in([OrgStatus::Registered.as_str(), OrgStatus::Abnormal.as_str()]),
                )
                .filter(organisation::Column::NameKey.is_in(keys))
                .into_tuple::<String>()
                .all(&state.db)
                .await?,
        );
    }
    Ok(unique
        .into_iter()
        .filter(|row| {
            let mut fresh = true;
            if registered_codes.contains(&row.uscc) {
                errors.push(RowError::new(
                    row.line,
                    "uscc",
                    "already_registered",
                    "an organisation with this code is already in the register",
                ));
                fresh = false;
            }
            if is_live(row.status) && registered_names.contains(&name_key(&row.name)) {
                errors.push(RowError::new(
                    row.line,
                    "name",
                    "already_registered",
                    "a live organisation of the tenant already has this name",
                ));
                fresh = false;
            }
            fresh
        })
        .collect())
}

async fn write(
    state: &AppState,
    tenant: &TenantRef,
    rows: &[RegisterRow],
    now: chrono::DateTime<chrono::Utc>,
    today: chrono::NaiveDate,
    actor: Option<Uuid>,
) -> Result<(), ApiError> {
    let transaction = db::begin(&state.db, Scope::Tenant(tenant.id())).await?;
    let mut by_status: BTreeMap<&str, u64> = BTreeMap::new();
    for chunk in rows.chunks(CHUNK) {
        let mut organisations = Vec::with_capacity(chunk.len());
        let mut events = Vec::with_capacity(chunk.len());
        for row in chunk {
            *by_status.entry(row.status.as_str()).or_default() += 1;
            let id = Uuid::now_v7();
            organisations.push(
                organisation::Model {
                    id,
                    tenant_id: tenant.id(),
                    uscc: row.uscc.clone(),
                    uscc_override_reason: None,
                    name_key: name_key(&row.name),
                    name: row.name.clone(),
                    org_type: row.org_type.as_str().to_owned(),
                    sub_kind: None,
                    address: row.address.clone(),
                    legal_representative: row.legal_representative.clone(),
                    service_areas: serde_json::to_string(&row.service_areas)
                        .unwrap_or_else(|_| "[]".into()),
                    founded_on: row.founded_on,
                    registered_funds_fen: row.registered_funds_fen,
                    contact_phone: None,
                    contact_email: None,
                    purpose: None,
                    status: row.status.as_str().to_owned(),
                    status_reason: row.status_reason.clone(),
                    status_date: row.status_date,
                    registered_at: None,
                    created_at: now,
                    updated_at: now,
                    version: 1,
                }
                .into_active_model(),
            );
            events.push(
                organisation_event::Model {
                    id: Uuid::now_v7(),
                    organisation_id: id,
                    tenant_id: tenant.id(),
                    event: "imported".to_owned(),
                    occurred_at: now,
                    effective_on: today,
                    data: serde_json::json!({
                        "uscc": row.uscc,
                        "name": row.name,
                        "status": row.status.as_str(),
                    })
                    .to_string(),
                    disclosure_id: None,
                    actor_user_id: actor,
                }
                .into_active_model(),
            );
        }
        let ids: Vec<Uuid> = organisations
            .iter()
            .filter_map(|model| model.id.clone().take())
            .collect();
        organisation::Entity::insert_many(organisations)
            .exec_without_returning(&transaction)
            .await
            .map_err(ApiError::conflict_if_unique(
                "already_recorded",
                Some("uscc"),
                "an organisation of the file was recorded meanwhile; check the file again",
            ))?;
        organisation_event::Entity::insert_many(events)
            .exec_without_returning(&transaction)
            .await?;
        crate::search::record_changes(&transaction, crate::search::Kind::Organisation, &ids, now)
            .await?;
    }
    audit::record(
        &transaction,
        &state.audit,
        AuditEvent::new(now, "tenant", tenant.id(), "import_register")
            .actor_opt(actor)
            .tenant(tenant.id())
            .data(serde_json::json!({ "organisations": rows.len(), "by_status": by_status })),
    )
    .await?;
    transaction.commit().await?;
    Ok(())
}
