//! An organisation's public profile, by its unified social credit code.

use super::common::*;

#[derive(Template)]
#[template(path = "portal/organisation.html")]
struct OrganisationPage<'a> {
    ctx: &'a PageCtx,
    name: String,
    canonical: String,
    status: String,
    status_class: &'static str,
    status_note: Option<String>,
    fields: Vec<Field>,
    service_areas: Vec<String>,
    purpose: Option<String>,
    tenant: LinkRow,
    /// The evaluation grade held today, with its last valid day.
    grade: Option<(String, String)>,
    history: Vec<HistoryRow>,
    reports: Vec<ReportRow>,
    notices: Vec<NoticeRow>,
}

#[handler]
pub async fn profile_page(
    request: &Request,
    Data(state): Data<&AppState>,
    Path(code): Path<String>,
) -> Response {
    let ctx = PageCtx::from_request(request);
    let result = async {
        let view = organisations::get_organisation(state, &None, &code).await?;
        let model = &view.model;
        let history = organisations::history(state, model.id).await?;
        let reports = annual::reports_of(state, model.id).await?;
        let about = disclosures::list_disclosures(
            state,
            None,
            DisclosureFilter {
                subject_type: Some("organisation".to_owned()),
                subject_id: Some(model.id.to_string()),
                ..DisclosureFilter::default()
            },
            50,
        )
        .await?;
        let tenants = tenant_map(state).await?;
        let today = view.tenant.local_date(state.clock.now());
        let grade = crate::evaluations::grades::current(&state.db, model.id, today).await?;
        let last_modified = [model.updated_at]
            .into_iter()
            .chain(history.iter().map(|event| event.occurred_at))
            .chain(reports.iter().map(|report| report.filed_at))
            .chain(about.iter().map(|notice| notice.model.published_at))
            .max();
        let mut page = organisation_page(
            &ctx,
            &view.model,
            &view.tenant.model,
            history,
            reports,
            &about,
            &tenants,
        );
        page.grade = grade.map(|grade| (grade.grade, grade.valid_until.to_string()));
        Ok::<_, ApiError>((page, last_modified))
    }
    .await;
    match result {
        Ok((page, last_modified)) => render(request, &ctx, &page, last_modified),
        Err(error) => failure(request, &ctx, &error),
    }
}

fn organisation_page<'a>(
    ctx: &'a PageCtx,
    model: &organisation::Model,
    tenant: &tenant::Model,
    history: Vec<entities::organisation_event::Model>,
    reports: Vec<entities::annual_report::Model>,
    about: &[DisclosureView],
    tenants: &HashMap<String, tenant::Model>,
) -> OrganisationPage<'a> {
    let status = OrgStatus::parse(&model.status);
    // A registered organisation's status needs no note; any other says since when and why.
    let status_note = match (&model.status_reason, model.status_date) {
        _ if status == Some(OrgStatus::Registered) => None,
        (Some(reason), Some(date)) => Some(format!("{date} {reason}")),
        (Some(reason), None) => Some(reason.clone()),
        (None, Some(date)) => Some(date.to_string()),
        (None, None) => None,
    };
    let field = |label: &str, value: String| Field {
        label: label.to_owned(),
        lang: text_lang(ctx, &value),
        value,
    };
    let fields = vec![
        field(
            ctx.t("统一社会信用代码", "Unified social credit code"),
            model.uscc.clone(),
        ),
        field(ctx.t("组织类型", "Type"), type_label(ctx, &model.org_type)),
        field(ctx.t("登记管理机关", "Registry"), tenant_name(ctx, tenant)),
        field(ctx.t("住所", "Address"), or_dash(model.address.clone())),
        field(
            ctx.t("法定代表人", "Legal representative"),
            or_dash(model.legal_representative.clone()),
        ),
        field(
            ctx.t("成立日期", "Founded"),
            model
                .founded_on
                .map_or_else(|| "—".to_owned(), |date| date.to_string()),
        ),
        field(
            ctx.t("注册资金", "Registered funds"),
            money(ctx, model.registered_funds_fen),
        ),
        field(
            ctx.t("联系电话", "Telephone"),
            or_dash(model.contact_phone.clone().unwrap_or_default()),
        ),
        field(
            ctx.t("电子邮箱", "E-mail"),
            or_dash(model.contact_email.clone().unwrap_or_default()),
        ),
    ];
    let history = history
        .into_iter()
        .map(|event| HistoryRow {
            date: event.effective_on.to_string(),
            event: event_label(ctx, &event.event),
            detail: event_detail(&event.data),
            notice_url: event.disclosure_id.map(|id| format!("/disclosures/{id}")),
        })
        .collect();
    let reports = reports
        .into_iter()
        .map(|report| ReportRow {
            year: report.year,
            income: money(ctx, report.income_fen),
            expenditure: money(ctx, report.expenditure_fen),
            net_assets: money(ctx, report.net_assets_fen),
            staff: report.staff_count,
            volunteers: report.volunteer_count,
            activities: report.activities,
            notice_url: report.disclosure_id.map(|id| format!("/disclosures/{id}")),
        })
        .collect();
    OrganisationPage {
        ctx,
        name: model.name.clone(),
        canonical: format!("/orgs/{}", model.uscc),
        status: status_label(ctx, &model.status),
        status_class: match status {
            Some(OrgStatus::Registered) => "status-ok",
            Some(OrgStatus::Abnormal) => "status-warn",
            _ => "status-closed",
        },
        status_note,
        fields,
        service_areas: serde_json::from_str(&model.service_areas).unwrap_or_default(),
        purpose: model
            .purpose
            .clone()
            .filter(|purpose| !purpose.trim().is_empty()),
        tenant: LinkRow {
            label: tenant_name(ctx, tenant),
            url: format!("/tenants/{}", tenant.slug),
        },
        grade: None,
        history,
        reports,
        notices: notice_rows(ctx, about, tenants),
    }
}
