//! What every page of the portal shares: the crates and types its handlers use (brought in by
//! each page's file with `use super::common::*`), the rows its templates list, the error pages,
//! and the labels and small formatting helpers.

pub(super) use std::collections::HashMap;

pub(super) use askama::Template;
pub(super) use chrono::{DateTime, NaiveDate, Utc};
pub(super) use entities::{disclosure, organisation, tenant};
pub(super) use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Data, Path},
};
pub(super) use search_index::{Kind, SearchQuery, Sort};
pub(super) use uuid::Uuid;

pub(super) use crate::portal::context::{PageCtx, link, query_pairs};
pub(super) use crate::portal::respond::{Page, respond};
pub(super) use crate::{
    disclosures::{
        Category,
        repo::DisclosureFilter,
        service::{self as disclosures, DisclosureView},
    },
    error::ApiError,
    registry::{
        annual, incubation,
        model::{OrgStatus, OrgType},
        organisations::service as organisations,
        organisations::service::yuan,
    },
    search::api as search_api,
    state::AppState,
    tenants,
};

/// Results on a page of search results.
pub(super) const PER_PAGE: usize = 20;
/// Records on a page of a disclosure list.
pub(super) const LIST_PAGE: u64 = 30;

/// One disclosure in a list.
pub(super) struct NoticeRow {
    pub(super) url: String,
    pub(super) title: String,
    pub(super) index_no: String,
    pub(super) publisher: String,
    pub(super) date: String,
    pub(super) category: String,
}

/// A labelled count that links somewhere.
pub(super) struct CountRow {
    pub(super) label: String,
    pub(super) count: u64,
    pub(super) url: String,
}

/// A link with a label.
pub(super) struct LinkRow {
    pub(super) label: String,
    pub(super) url: String,
}

pub(super) struct HitRow {
    pub(super) url: String,
    pub(super) title: String,
    /// HTML from the index: the matches in `<b>`, the rest escaped there.
    pub(super) snippet: String,
    pub(super) kind: String,
    pub(super) tenant: String,
    pub(super) uscc: Option<String>,
}

pub(super) struct FacetValue {
    pub(super) label: String,
    pub(super) lang: &'static str,
    pub(super) count: u64,
    pub(super) url: String,
    pub(super) selected: bool,
}

pub(super) struct FacetGroup {
    pub(super) name: String,
    pub(super) label: String,
    pub(super) values: Vec<FacetValue>,
}

/// A label and a value, for the record tables.
pub(super) struct Field {
    pub(super) label: String,
    pub(super) value: String,
    /// The value's language: Chinese when it is written in Chinese, else the page's.
    pub(super) lang: &'static str,
}

pub(super) struct HistoryRow {
    pub(super) date: String,
    pub(super) event: String,
    pub(super) detail: String,
    pub(super) notice_url: Option<String>,
}

pub(super) struct ReportRow {
    pub(super) year: i32,
    pub(super) income: String,
    pub(super) expenditure: String,
    pub(super) net_assets: String,
    pub(super) staff: i32,
    pub(super) volunteers: i32,
    pub(super) activities: String,
    pub(super) notice_url: Option<String>,
}

pub(super) struct GroupRow {
    pub(super) name: String,
    pub(super) service_areas: String,
}

#[derive(Template)]
#[template(path = "portal/error.html")]
pub(super) struct ErrorPage<'a> {
    pub(super) ctx: &'a PageCtx,
    pub(super) heading: String,
    pub(super) text: String,
}

// Answering.

pub(super) fn render(
    request: &Request,
    ctx: &PageCtx,
    template: &impl Template,
    last_modified: Option<DateTime<Utc>>,
) -> Response {
    match template.render() {
        Ok(html) => respond(
            request,
            Some(ctx),
            Page::html(StatusCode::OK, html).modified(last_modified),
        ),
        Err(error) => {
            tracing::error!(%error, "page rendering failed");
            error_page(request, ctx, StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

pub(super) fn error_page(request: &Request, ctx: &PageCtx, status: StatusCode) -> Response {
    error_page_after(request, ctx, status, None)
}

pub(super) fn error_page_after(
    request: &Request,
    ctx: &PageCtx,
    status: StatusCode,
    retry_after: Option<u64>,
) -> Response {
    let (heading, text) = match status {
        StatusCode::NOT_FOUND => (
            ctx.t("页面不存在", "Page not found"),
            ctx.t(
                "您要找的页面不存在或已被移除。",
                "The page you asked for does not exist or has been removed.",
            ),
        ),
        StatusCode::TOO_MANY_REQUESTS => (
            ctx.t("请求过于频繁", "Too many requests"),
            ctx.t(
                "您的搜索过于频繁，请稍后再试。",
                "You have searched too often; please try again in a minute.",
            ),
        ),
        StatusCode::SERVICE_UNAVAILABLE => (
            ctx.t("搜索暂不可用", "Search is unavailable"),
            ctx.t(
                "搜索服务正在准备中，请稍后再试。",
                "Search is being prepared; please try again shortly.",
            ),
        ),
        _ => (
            ctx.t("出错了", "Something went wrong"),
            ctx.t(
                "处理您的请求时出错，请稍后再试。",
                "Your request could not be completed; please try again later.",
            ),
        ),
    };
    let page = ErrorPage {
        ctx,
        heading: heading.to_owned(),
        text: text.to_owned(),
    };
    let html = page.render().unwrap_or_else(|_| heading.to_owned());
    let mut response = respond(request, Some(ctx), Page::html(status, html));
    let retry_after = match status {
        StatusCode::TOO_MANY_REQUESTS => Some(retry_after.unwrap_or(60)),
        StatusCode::SERVICE_UNAVAILABLE => Some(5),
        _ => None,
    };
    if let Some(seconds) = retry_after {
        response.headers_mut().insert(
            poem::http::header::RETRY_AFTER,
            poem::http::HeaderValue::from(seconds),
        );
    }
    response
}

/// Any address the site does not know: the portal's 404 page.
pub fn not_found_response(request: &Request) -> Response {
    let ctx = PageCtx::from_request(request);
    error_page(request, &ctx, StatusCode::NOT_FOUND)
}

/// A failed lookup as a page: 404 for what does not exist, else the error's status.
pub(super) fn failure(request: &Request, ctx: &PageCtx, error: &ApiError) -> Response {
    error_page_after(request, ctx, error.status(), error.retry_after())
}

// Shared pieces.

/// Every tenant by slug (there are tens, not thousands).
pub(super) async fn tenant_map(
    state: &AppState,
) -> Result<HashMap<String, tenant::Model>, ApiError> {
    let mut map = HashMap::new();
    let mut after = None;
    loop {
        let page = tenants::service::list_tenants(state, None, after.clone(), 500).await?;
        let done = page.len() < 500;
        after = page.last().map(|tenant| tenant.model.slug.clone());
        for tenant in page {
            map.insert(tenant.model.slug.clone(), tenant.model);
        }
        if done || after.is_none() {
            return Ok(map);
        }
    }
}

pub(super) fn tenant_name(ctx: &PageCtx, tenant: &tenant::Model) -> String {
    if ctx.is_en() && !tenant.name_en.is_empty() {
        tenant.name_en.clone()
    } else {
        tenant.name_zh.clone()
    }
}

pub(super) fn local_day(time_zone: &str, at: DateTime<Utc>) -> NaiveDate {
    time_zone.parse::<chrono_tz::Tz>().map_or_else(
        |_| at.date_naive(),
        |zone| at.with_timezone(&zone).date_naive(),
    )
}

pub(super) fn category_label(ctx: &PageCtx, code: &str) -> String {
    Category::parse(code).map_or_else(
        || code.to_owned(),
        |category| ctx.t(category.label_zh(), category.label_en()).to_owned(),
    )
}

pub(super) fn type_label(ctx: &PageCtx, code: &str) -> String {
    OrgType::parse(code).map_or_else(
        || code.to_owned(),
        |kind| {
            ctx.t(
                kind.label_zh(),
                match kind {
                    OrgType::SocialGroup => "Social group",
                    OrgType::SocialServiceOrganisation => "Social service organisation",
                    OrgType::Foundation => "Foundation",
                },
            )
            .to_owned()
        },
    )
}

pub(super) fn status_label(ctx: &PageCtx, code: &str) -> String {
    match OrgStatus::parse(code) {
        Some(OrgStatus::Registered) => ctx.t("正常", "Registered"),
        Some(OrgStatus::Abnormal) => ctx.t("列入活动异常名录", "Listed as abnormal"),
        Some(OrgStatus::Deregistered) => ctx.t("已注销", "Deregistered"),
        Some(OrgStatus::Revoked) => ctx.t("已撤销", "Revoked"),
        None => code,
    }
    .to_owned()
}

pub(super) fn kind_label(ctx: &PageCtx, code: &str) -> String {
    match code {
        "organisation" => ctx.t("社会组织", "Organisation"),
        "disclosure" => ctx.t("信息公开", "Disclosure"),
        "tender" => ctx.t("采购项目", "Tender"),
        other => other,
    }
    .to_owned()
}

pub(super) fn notice_rows(
    ctx: &PageCtx,
    views: &[DisclosureView],
    tenants: &HashMap<String, tenant::Model>,
) -> Vec<NoticeRow> {
    views
        .iter()
        .map(|view| notice_row(ctx, &view.model, tenants.get(&view.tenant_slug)))
        .collect()
}

pub(super) fn notice_row(
    ctx: &PageCtx,
    model: &disclosure::Model,
    tenant: Option<&tenant::Model>,
) -> NoticeRow {
    let zone = tenant.map_or("Asia/Shanghai", |tenant| tenant.time_zone.as_str());
    NoticeRow {
        url: format!("/disclosures/{}", model.id),
        title: model.title.clone(),
        index_no: model.index_no.clone(),
        publisher: model.publisher.clone(),
        date: local_day(zone, model.published_at).to_string(),
        category: category_label(ctx, &model.category),
    }
}

pub(super) fn category_links(
    ctx: &PageCtx,
    base: &str,
    selected: Option<Category>,
) -> Vec<(LinkRow, bool)> {
    Category::ALL
        .into_iter()
        .map(|category| {
            (
                LinkRow {
                    label: ctx.t(category.label_zh(), category.label_en()).to_owned(),
                    url: format!("{base}/{}", category.as_str()),
                },
                selected == Some(category),
            )
        })
        .collect()
}

/// Counts of organisations by facet, from the index; `None` when search cannot answer.
pub(super) async fn organisation_facets(
    state: &AppState,
    tenant: Option<&str>,
) -> Option<(u64, search_index::Facets)> {
    let query = SearchQuery {
        kinds: vec![Kind::Organisation],
        tenant: tenant.map(str::to_owned),
        limit: 0,
        ..SearchQuery::default()
    };
    search_api::run(state, query)
        .await
        .ok()
        .map(|results| (results.total as u64, results.facets))
}

pub(super) fn count_rows(
    counts: Option<&std::collections::BTreeMap<String, u64>>,
    label: impl Fn(&str) -> String,
    url: impl Fn(&str) -> String,
) -> Vec<CountRow> {
    let mut rows: Vec<CountRow> = counts
        .into_iter()
        .flatten()
        .map(|(value, count)| CountRow {
            label: label(value),
            count: *count,
            url: url(value),
        })
        .collect();
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    rows
}

pub(super) fn event_label(ctx: &PageCtx, event: &str) -> String {
    match event {
        "registered" => ctx.t("成立登记", "Registered"),
        "name_changed" => ctx.t("名称变更", "Name changed"),
        "address_changed" => ctx.t("住所变更", "Address changed"),
        "representative_changed" => ctx.t("法定代表人变更", "Legal representative changed"),
        "service_areas_changed" => ctx.t("业务范围变更", "Service areas changed"),
        "listed_abnormal" => ctx.t("列入活动异常名录", "Listed as abnormal"),
        "delisted_abnormal" => ctx.t("移出活动异常名录", "Removed from the abnormal list"),
        "deregistered" => ctx.t("注销登记", "Deregistered"),
        "revoked" => ctx.t("撤销登记", "Registration revoked"),
        other => other,
    }
    .to_owned()
}

/// `from → to` and the reason of a history entry, as text.
pub(super) fn event_detail(data: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(data).unwrap_or_default();
    let text = |key: &str| match value.get(key) {
        Some(serde_json::Value::String(text)) => Some(text.clone()),
        Some(serde_json::Value::Array(items)) => Some(
            items
                .iter()
                .filter_map(serde_json::Value::as_str)
                .collect::<Vec<_>>()
                .join("、"),
        ),
        _ => None,
    };
    let mut parts = Vec::new();
    match (text("from"), text("to")) {
        (Some(from), Some(to)) => parts.push(format!("{from} → {to}")),
        (None, Some(to)) => parts.push(to),
        _ => {}
    }
    if let Some(reason) = text("reason") {
        parts.push(reason);
    }
    parts.join("；")
}

/// An amount in fen, as the page's language writes it.
pub(super) fn money(ctx: &PageCtx, fen: i64) -> String {
    let zh = yuan(fen);
    if ctx.is_en() {
        format!("CNY {}", zh.trim_end_matches(" 元"))
    } else {
        zh
    }
}

/// `zh-CN` for text written in Chinese, else the page's language.
pub(super) fn text_lang(ctx: &PageCtx, text: &str) -> &'static str {
    let chinese = text.chars().any(|character| {
        matches!(character, '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}')
    });
    if chinese { "zh-CN" } else { ctx.html_lang() }
}

pub(super) fn or_dash(value: impl Into<String>) -> String {
    let value = value.into();
    if value.trim().is_empty() {
        "—".to_owned()
    } else {
        value
    }
}
