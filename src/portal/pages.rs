//! The portal's pages. Each handler gathers what its page shows through the same services the
//! API uses, renders one template and answers through [`respond`].

use std::collections::HashMap;

use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use entities::{disclosure, organisation, tenant};
use poem::{
    Request, Response, handler,
    http::StatusCode,
    web::{Data, Path},
};
use search_index::{Kind, SearchQuery, Sort};
use uuid::Uuid;

use super::{Page, PageCtx, link, respond};
use crate::{
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
const PER_PAGE: usize = 20;
/// Records on a page of a disclosure list.
const LIST_PAGE: u64 = 30;

// ---------------------------------------------------------------------------------------------
// What the templates show.

/// One disclosure in a list.
struct NoticeRow {
    url: String,
    title: String,
    index_no: String,
    publisher: String,
    date: String,
    category: String,
}

/// A labelled count that links somewhere.
struct CountRow {
    label: String,
    count: u64,
    url: String,
}

/// A link with a label.
struct LinkRow {
    label: String,
    url: String,
}

struct HitRow {
    url: String,
    title: String,
    /// HTML from the index: the matches in `<b>`, the rest escaped there.
    snippet: String,
    kind: String,
    tenant: String,
    uscc: Option<String>,
}

struct FacetValue {
    label: String,
    lang: &'static str,
    count: u64,
    url: String,
    selected: bool,
}

struct FacetGroup {
    name: String,
    label: String,
    values: Vec<FacetValue>,
}

/// A label and a value, for the record tables.
struct Field {
    label: String,
    value: String,
    /// The value's language: Chinese when it is written in Chinese, else the page's.
    lang: &'static str,
}

struct HistoryRow {
    date: String,
    event: String,
    detail: String,
    notice_url: Option<String>,
}

struct ReportRow {
    year: i32,
    income: String,
    expenditure: String,
    net_assets: String,
    staff: i32,
    volunteers: i32,
    activities: String,
    notice_url: Option<String>,
}

struct GroupRow {
    name: String,
    service_areas: String,
}

#[derive(Template)]
#[template(path = "portal/home.html")]
struct HomePage<'a> {
    ctx: &'a PageCtx,
    notices: Vec<NoticeRow>,
    districts: Vec<CountRow>,
    types: Vec<CountRow>,
    /// `None` when search cannot count (the block is left out).
    organisations: Option<u64>,
    statuses: Vec<CountRow>,
}

#[derive(Template)]
#[template(path = "portal/search.html")]
struct SearchPage<'a> {
    ctx: &'a PageCtx,
    q: String,
    total: u64,
    hits: Vec<HitRow>,
    facets: Vec<FacetGroup>,
    active: Vec<LinkRow>,
    sort_date: bool,
    sort_url: String,
    page: usize,
    pages: usize,
    previous_url: Option<String>,
    next_url: Option<String>,
    /// Hidden fields that keep the filters when the text is changed.
    kept: Vec<(String, String)>,
}

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

struct Attachment {
    name: String,
    url: String,
}

#[derive(Template)]
#[template(path = "portal/disclosure.html")]
struct DisclosurePage<'a> {
    ctx: &'a PageCtx,
    print: bool,
    font: &'static str,
    font_links: Vec<(String, String, bool)>,
    print_url: String,
    back_url: String,
    index_no: String,
    category: String,
    category_url: String,
    publisher: String,
    written_on: String,
    published_on: String,
    title: String,
    document_number: String,
    subject_terms: String,
    paragraphs: Vec<String>,
    attachments: Vec<Attachment>,
    concerns: Option<LinkRow>,
    superseded_by: Option<String>,
    supersedes: Option<String>,
    /// A preliminary evaluation result still in publicity takes objections here.
    objection_action: Option<String>,
    /// The reader's objection was received.
    objection_received: bool,
}

#[derive(Template)]
#[template(path = "portal/disclosures.html")]
struct DisclosureListPage<'a> {
    ctx: &'a PageCtx,
    heading: String,
    notices: Vec<NoticeRow>,
    categories: Vec<(LinkRow, bool)>,
    older_url: Option<String>,
    feed_url: String,
}

#[derive(Template)]
#[template(path = "portal/tenant.html")]
struct TenantPage<'a> {
    ctx: &'a PageCtx,
    slug: String,
    name: String,
    other_name: String,
    parent: Option<LinkRow>,
    children: Vec<LinkRow>,
    /// Registered by this tenant itself, and with the tenants below it.
    own: u64,
    organisations: Option<u64>,
    types: Vec<CountRow>,
    statuses: Vec<CountRow>,
    notices: Vec<NoticeRow>,
    categories: Vec<LinkRow>,
}

#[derive(Template)]
#[template(path = "portal/tenants.html")]
struct TenantListPage<'a> {
    ctx: &'a PageCtx,
    tenants: Vec<(LinkRow, String)>,
}

#[derive(Template)]
#[template(path = "portal/incubation.html")]
struct IncubationPage<'a> {
    ctx: &'a PageCtx,
    tenant_name: String,
    tenant_url: String,
    groups: Vec<GroupRow>,
}

#[derive(Template)]
#[template(path = "portal/error.html")]
struct ErrorPage<'a> {
    ctx: &'a PageCtx,
    heading: String,
    text: String,
}

// ---------------------------------------------------------------------------------------------
// Answering.

fn render(
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

fn error_page(request: &Request, ctx: &PageCtx, status: StatusCode) -> Response {
    error_page_after(request, ctx, status, None)
}

fn error_page_after(
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
fn failure(request: &Request, ctx: &PageCtx, error: &ApiError) -> Response {
    error_page_after(request, ctx, error.status(), error.retry_after())
}

// ---------------------------------------------------------------------------------------------
// Shared pieces.

/// Every tenant by slug (there are tens, not thousands).
async fn tenant_map(state: &AppState) -> Result<HashMap<String, tenant::Model>, ApiError> {
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

fn tenant_name(ctx: &PageCtx, tenant: &tenant::Model) -> String {
    if ctx.is_en() && !tenant.name_en.is_empty() {
        tenant.name_en.clone()
    } else {
        tenant.name_zh.clone()
    }
}

fn local_day(time_zone: &str, at: DateTime<Utc>) -> NaiveDate {
    time_zone.parse::<chrono_tz::Tz>().map_or_else(
        |_| at.date_naive(),
        |zone| at.with_timezone(&zone).date_naive(),
    )
}

fn category_label(ctx: &PageCtx, code: &str) -> String {
    Category::parse(code).map_or_else(
        || code.to_owned(),
        |category| ctx.t(category.label_zh(), category.label_en()).to_owned(),
    )
}

fn type_label(ctx: &PageCtx, code: &str) -> String {
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

fn status_label(ctx: &PageCtx, code: &str) -> String {
    match OrgStatus::parse(code) {
        Some(OrgStatus::Registered) => ctx.t("正常", "Registered"),
        Some(OrgStatus::Abnormal) => ctx.t("列入活动异常名录", "Listed as abnormal"),
        Some(OrgStatus::Deregistered) => ctx.t("已注销", "Deregistered"),
        Some(OrgStatus::Revoked) => ctx.t("已撤销", "Revoked"),
        None => code,
    }
    .to_owned()
}

fn kind_label(ctx: &PageCtx, code: &str) -> String {
    match code {
        "organisation" => ctx.t("社会组织", "Organisation"),
        "disclosure" => ctx.t("信息公开", "Disclosure"),
        "tender" => ctx.t("采购项目", "Tender"),
        other => other,
    }
    .to_owned()
}

fn notice_rows(
    ctx: &PageCtx,
    views: &[DisclosureView],
    tenants: &HashMap<String, tenant::Model>,
) -> Vec<NoticeRow> {
    views
        .iter()
        .map(|view| notice_row(ctx, &view.model, tenants.get(&view.tenant_slug)))
        .collect()
}

fn notice_row(
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

fn category_links(ctx: &PageCtx, base: &str, selected: Option<Category>) -> Vec<(LinkRow, bool)> {
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
async fn organisation_facets(
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

fn count_rows(
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

// ---------------------------------------------------------------------------------------------
// Home.

#[handler]
pub async fn home_page(request: &Request, Data(state): Data<&AppState>) -> Response {
    let ctx = PageCtx::from_request(request);
    let result = async {
        let tenants = tenant_map(state).await?;
        let views =
            disclosures::list_disclosures(state, None, DisclosureFilter::default(), 10).await?;
        let counted = organisation_facets(state, None).await;
        let organisations = counted.as_ref().map(|(total, _)| *total);
        let facets = counted.map(|(_, facets)| facets).unwrap_or_default();
        let statuses = count_rows(
            facets.get("status"),
            |code| status_label(&ctx, code),
            |code| link("/search", &[("kind", "organisation"), ("status", code)]),
        );
        let districts = count_rows(
            facets.get("tenant"),
            |slug| {
                tenants
                    .get(slug)
                    .map_or_else(|| slug.to_owned(), |tenant| tenant_name(&ctx, tenant))
            },
            |slug| format!("/tenants/{slug}"),
        );
        let types = count_rows(
            facets.get("org_type"),
            |code| type_label(&ctx, code),
            |code| link("/search", &[("kind", "organisation"), ("type", code)]),
        );
        Ok::<_, ApiError>(HomePage {
            ctx: &ctx,
            notices: notice_rows(&ctx, &views, &tenants),
            districts,
            types,
            organisations,
            statuses,
        })
    }
    .await;
    match result {
        Ok(page) => render(request, &ctx, &page, None),
        Err(error) => failure(request, &ctx, &error),
    }
}

// ---------------------------------------------------------------------------------------------
// Search.

/// The search page's parameters. Values that mean nothing (an unknown kind, a year out of
/// range) are dropped, so that they neither filter nor show as filters.
#[derive(Debug, Default)]
pub struct SearchParams {
    q: String,
    kind: String,
    tenant: String,
    org_type: String,
    status: String,
    service_area: String,
    grade: String,
    category: String,
    year: String,
    sort: String,
    page: usize,
}

impl SearchParams {
    fn from_request(request: &Request) -> Self {
        let pairs = super::query_pairs(request);
        let value = |name: &str| pairs.get(name).cloned().unwrap_or_default();
        let kind = value("kind");
        let year = value("year");
        Self {
            q: value("q"),
            kind: if ["organisation", "disclosure", "tender"].contains(&kind.as_str()) {
                kind
            } else {
                String::new()
            },
            tenant: value("tenant"),
            org_type: value("type"),
            status: value("status"),
            service_area: value("service_area"),
            grade: value("grade"),
            category: value("category"),
            year: if year
                .parse::<u32>()
                .is_ok_and(|year| (1900..=2100).contains(&year))
            {
                year
            } else {
                String::new()
            },
            sort: if value("sort") == "date" {
                "date".to_owned()
            } else {
                String::new()
            },
            page: value("page").parse().unwrap_or(1),
        }
    }
}

impl SearchParams {
    /// The filters as (parameter, value) pairs, in a fixed order.
    fn filters(&self) -> [(&'static str, &str); 8] {
        [
            ("kind", &self.kind),
            ("tenant", &self.tenant),
            ("type", &self.org_type),
            ("status", &self.status),
            ("service_area", &self.service_area),
            ("grade", &self.grade),
            ("category", &self.category),
            ("year", &self.year),
        ]
    }

    /// A link to these results with `name` set to `value` (or removed when empty), back on page 1.
    fn with(&self, name: &str, value: &str) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![("q", self.q.as_str())];
        for (key, existing) in self.filters() {
            pairs.push((key, if key == name { value } else { existing }));
        }
        pairs.push(("sort", if name == "sort" { value } else { &self.sort }));
        link("/search", &pairs)
    }

    fn page_link(&self, page: usize) -> String {
        let mut pairs: Vec<(&str, &str)> = vec![("q", self.q.as_str())];
        pairs.extend(self.filters());
        pairs.push(("sort", &self.sort));
        // The first page is the bare address.
        let page = if page > 1 {
            page.to_string()
        } else {
            String::new()
        };
        pairs.push(("page", &page));
        link("/search", &pairs)
    }
}

fn facet_label(ctx: &PageCtx, facet: &str) -> String {
    match facet {
        "kind" => ctx.t("类别", "Kind"),
        "tenant" => ctx.t("地区", "District"),
        "org_type" => ctx.t("组织类型", "Type"),
        "status" => ctx.t("状态", "Status"),
        "service_area" => ctx.t("服务领域", "Service area"),
        "grade" => ctx.t("评估等级", "Grade"),
        "category" => ctx.t("公开类别", "Category"),
        "year" => ctx.t("年份", "Year"),
        other => other,
    }
    .to_owned()
}

/// The facet's name as a search parameter.
fn facet_parameter(facet: &str) -> &str {
    if facet == "org_type" { "type" } else { facet }
}

#[handler]
pub async fn search_page(request: &Request, Data(state): Data<&AppState>) -> Response {
    let ctx = PageCtx::from_request(request);
    let params = SearchParams::from_request(request);
    if let Err(error) = search_api::check_anonymous_limit(state, request) {
        return failure(request, &ctx, &error);
    }
    let page = params.page.clamp(1, search_index::MAX_OFFSET / PER_PAGE);
    let kind = match params.kind.as_str() {
        "organisation" => Some(Kind::Organisation),
        "disclosure" => Some(Kind::Disclosure),
        "tender" => Some(Kind::Tender),
        _ => None,
    };
    let optional = |value: &str| (!value.is_empty()).then(|| value.to_owned());
    let query = SearchQuery {
        text: params.q.clone(),
        kinds: kind.into_iter().collect(),
        tenant: optional(&params.tenant),
        org_type: optional(&params.org_type),
        status: optional(&params.status),
        service_area: optional(&params.service_area),
        grade: optional(&params.grade),
        category: optional(&params.category),
        year: optional(&params.year),
        published_from: None,
        published_to: None,
        sort: if params.sort == "date" {
            Sort::Date
        } else {
            Sort::Relevance
        },
        offset: (page - 1) * PER_PAGE,
        limit: PER_PAGE,
        without_facets: false,
    };
    let mut page = page;
    let mut results = match search_api::run(state, query.clone()).await {
        Ok(results) => results,
        Err(error) => return failure(request, &ctx, &error),
    };
    // A page beyond the last shows the last.
    let last = results
        .total
        .div_ceil(PER_PAGE)
        .clamp(1, search_index::MAX_OFFSET / PER_PAGE);
    if page > last {
        page = last;
        let query = SearchQuery {
            offset: (page - 1) * PER_PAGE,
            ..query
        };
        results = match search_api::run(state, query).await {
            Ok(results) => results,
            Err(error) => return failure(request, &ctx, &error),
        };
    }
    let tenants = match tenant_map(state).await {
        Ok(tenants) => tenants,
        Err(error) => return failure(request, &ctx, &error),
    };
    let tenant_label = |slug: &str| {
        tenants
            .get(slug)
            .map_or_else(|| slug.to_owned(), |tenant| tenant_name(&ctx, tenant))
    };
    let value_label = |facet: &str, value: &str| match facet {
        "kind" => kind_label(&ctx, value),
        "tenant" => tenant_label(value),
        "org_type" => type_label(&ctx, value),
        "status" => status_label(&ctx, value),
        "category" => category_label(&ctx, value),
        _ => value.to_owned(),
    };
    let selected = |facet: &str| -> &str {
        params
            .filters()
            .into_iter()
            .find(|(name, _)| *name == facet_parameter(facet))
            .map_or("", |(_, value)| value)
    };
    let facets = results
        .facets
        .iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(facet, values)| {
            let mut values: Vec<FacetValue> = values
                .iter()
                .map(|(value, count)| {
                    let is_selected = selected(facet) == value;
                    let label = value_label(facet, value);
                    FacetValue {
                        lang: text_lang(&ctx, &label),
                        label,
                        count: *count,
                        url: params
                            .with(facet_parameter(facet), if is_selected { "" } else { value }),
                        selected: is_selected,
                    }
                })
                .collect();
            if facet == "year" {
                values.sort_by(|a, b| b.label.cmp(&a.label));
            } else {
                values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
            }
            values.truncate(12);
            FacetGroup {
                name: facet.clone(),
                label: facet_label(&ctx, facet),
                values,
            }
        })
        .collect();
    let active = params
        .filters()
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| {
            let facet = if name == "type" { "org_type" } else { name };
            LinkRow {
                label: format!(
                    "{}: {}",
                    facet_label(&ctx, facet),
                    value_label(facet, value)
                ),
                url: params.with(name, ""),
            }
        })
        .collect();
    let total = results.total as u64;
    let pages = results
        .total
        .div_ceil(PER_PAGE)
        .clamp(1, search_index::MAX_OFFSET / PER_PAGE);
    let hits = results
        .hits
        .into_iter()
        .map(|hit| HitRow {
            kind: kind_label(&ctx, &hit.kind),
            tenant: tenant_label(&hit.tenant),
            url: hit.url,
            title: hit.title,
            snippet: hit.snippet,
            uscc: hit.uscc,
        })
        .collect();
    let kept = params
        .filters()
        .into_iter()
        .chain([("sort", params.sort.as_str())])
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let sort_date = params.sort == "date";
    let view = SearchPage {
        ctx: &ctx,
        q: params.q.clone(),
        total,
        hits,
        facets,
        active,
        sort_date,
        sort_url: params.with("sort", if sort_date { "" } else { "date" }),
        page,
        pages,
        previous_url: (page > 1).then(|| params.page_link(page - 1)),
        next_url: (page < pages).then(|| params.page_link(page + 1)),
        kept,
    };
    render(request, &ctx, &view, None)
}

// ---------------------------------------------------------------------------------------------
// Organisation profile.

fn event_label(ctx: &PageCtx, event: &str) -> String {
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
fn event_detail(data: &str) -> String {
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
fn money(ctx: &PageCtx, fen: i64) -> String {
    let zh = yuan(fen);
    if ctx.is_en() {
        format!("CNY {}", zh.trim_end_matches(" 元"))
    } else {
        zh
    }
}

/// `zh-CN` for text written in Chinese, else the page's language.
fn text_lang(ctx: &PageCtx, text: &str) -> &'static str {
    let chinese = text.chars().any(|character| {
        matches!(character, '\u{3400}'..='\u{9FFF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{3134F}')
    });
    if chinese { "zh-CN" } else { ctx.html_lang() }
}

fn or_dash(value: impl Into<String>) -> String {
    let value = value.into();
    if value.trim().is_empty() {
        "—".to_owned()
    } else {
        value
    }
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
        let today = disclosures::local_date(&view.tenant, state.clock.now());
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

// ---------------------------------------------------------------------------------------------
// A disclosure.

#[handler]
pub async fn notice_page(
    request: &Request,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> Response {
    let font = super::query_pairs(request)
        .remove("font")
        .unwrap_or_default();
    disclosure_view(request, state, &id, &font, false).await
}

#[handler]
pub async fn notice_print_page(
    request: &Request,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> Response {
    let font = super::query_pairs(request)
        .remove("font")
        .unwrap_or_default();
    disclosure_view(request, state, &id, &font, true).await
}

async fn disclosure_view(
    request: &Request,
    state: &AppState,
    id: &str,
    font: &str,
    print: bool,
) -> Response {
    let ctx = PageCtx::from_request(request);
    let Ok(id) = Uuid::parse_str(id) else {
        return error_page(request, &ctx, StatusCode::NOT_FOUND);
    };
    let result = async {
        let view = disclosures::get_disclosure(state, id).await?;
        let tenant = tenants::service::get_tenant(state, &view.tenant_slug).await?;
        let attachment_ids: Vec<Uuid> =
            serde_json::from_str(&view.model.attachments).unwrap_or_default();
        let mut attachments = Vec::new();
        for attachment in attachment_ids {
            // Attachments are public documents; one that is not (or is gone) is left out.
            if let Ok(document) =
                crate::documents::service::readable_document(state, &None, attachment).await
            {
                attachments.push(Attachment {
                    name: document.file_name.clone(),
                    url: format!("/api/v1/documents/{}/content", document.id),
                });
            }
        }
        let concerns = match (view.model.subject_type.as_deref(), &view.model.subject_id) {
            (Some("organisation"), Some(subject)) => {
                match organisations::get_organisation(state, &None, subject).await {
                    Ok(organisation) => Some((
                        LinkRow {
                            label: organisation.model.name.clone(),
                            url: format!("/orgs/{}", organisation.model.uscc),
                        },
                        organisation.model.updated_at,
                    )),
                    Err(_) => None,
                }
            }
            _ => None,
        };
        Ok::<_, ApiError>((view, tenant, attachments, concerns))
    }
    .await;
    let (view, tenant, attachments, concerns) = match result {
        Ok(found) => found,
        Err(error) => return failure(request, &ctx, &error),
    };
    let model = &view.model;
    let font = match font {
        "l" => "l",
        "s" => "s",
        _ => "m",
    };
    let base = if print {
        format!("/disclosures/{}/print", model.id)
    } else {
        format!("/disclosures/{}", model.id)
    };
    let font_links = [
        ("l", ctx.t("大", "Large")),
        ("m", ctx.t("中", "Medium")),
        ("s", ctx.t("小", "Small")),
    ]
    .into_iter()
    .map(|(size, label)| {
        (
            label.to_owned(),
            if size == "m" {
                base.clone()
            } else {
                format!("{base}?font={size}")
            },
            size == font,
        )
    })
    .collect();
    let subject_terms: Vec<String> = serde_json::from_str(&model.subject_terms).unwrap_or_default();
    let objection_action = if model.category == Category::EvaluationPublicity.as_str() && !print {
        open_for_objections(state, model.id)
            .await
            .map(|_| format!("/disclosures/{}/objection", model.id))
    } else {
        None
    };
    let objection_received = super::query_pairs(request)
        .get("objection")
        .map(String::as_str)
        == Some("received");
    let page = DisclosurePage {
        objection_action,
        objection_received,
        ctx: &ctx,
        print,
        font,
        font_links,
        print_url: format!("/disclosures/{}/print", model.id),
        back_url: format!("/disclosures/{}", model.id),
        index_no: model.index_no.clone(),
        category: category_label(&ctx, &model.category),
        category_url: format!(
            "/tenants/{}/disclosures/{}",
            view.tenant_slug, model.category
        ),
        publisher: model.publisher.clone(),
        written_on: model.written_on.to_string(),
        published_on: local_day(&tenant.model.time_zone, model.published_at).to_string(),
        title: model.title.clone(),
        document_number: model.document_number.clone().unwrap_or_default(),
        subject_terms: subject_terms.join(" "),
        paragraphs: model
            .body
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect(),
        attachments,
        concerns: concerns.as_ref().map(|(subject, _)| LinkRow {
            label: subject.label.clone(),
            url: subject.url.clone(),
        }),
        superseded_by: view.superseded_by.map(|id| format!("/disclosures/{id}")),
        supersedes: model.supersedes_id.map(|id| format!("/disclosures/{id}")),
    };
    // A record never changes; the page also shows the current name of what it concerns, and a
    // later correction adds a notice to it (then only the ETag tells).
    let last_modified = view.superseded_by.is_none().then(|| {
        concerns
            .as_ref()
            .map_or(model.published_at, |(_, changed)| {
                model.published_at.max(*changed)
            })
            .max(tenant.model.updated_at)
    });
    render(request, &ctx, &page, last_modified)
}

/// The application whose preliminary result this notice publishes, while objections are open.
async fn open_for_objections(state: &AppState, disclosure: Uuid) -> Option<Uuid> {
    crate::evaluations::publicity::open_to_objections(state, disclosure)
        .await
        .ok()
        .flatten()
}

/// An objection to a result in publicity, filed from its notice (no script, no account).
#[handler]
pub async fn objection_post(
    request: &Request,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
    body: poem::Body,
) -> Response {
    let ctx = PageCtx::from_request(request);
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(request, &ctx, StatusCode::NOT_FOUND);
    };
    let Some(application) = open_for_objections(state, id).await else {
        return error_page(request, &ctx, StatusCode::NOT_FOUND);
    };
    let Ok(bytes) = body.into_bytes_limit(64 * 1024).await else {
        return error_page(request, &ctx, StatusCode::PAYLOAD_TOO_LARGE);
    };
    let mut fields: HashMap<String, String> = HashMap::new();
    for (key, value) in form_urlencoded::parse(&bytes) {
        fields
            .entry(key.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let client = crate::ratelimit::client_of(state, request);
    match crate::evaluations::publicity::object(
        state,
        &client,
        application,
        crate::evaluations::publicity::NewObjection {
            name: field("name"),
            contact: field("contact"),
            body: field("text"),
        },
    )
    .await
    {
        Ok(_) => Response::builder()
            .status(StatusCode::SEE_OTHER)
            .header(
                poem::http::header::LOCATION,
                format!("/disclosures/{id}?objection=received"),
            )
            .header(poem::http::header::CACHE_CONTROL, "no-store")
            .finish(),
        Err(error) if error.status() == StatusCode::UNPROCESSABLE_ENTITY => {
            let missing: Vec<String> = error
                .errors()
                .iter()
                .map(|field| match field.field.as_str() {
                    "name" => ctx.t("姓名", "Name").to_owned(),
                    "contact" => ctx.t("联系方式", "Contact").to_owned(),
                    _ => ctx.t("异议内容", "Objection").to_owned(),
                })
                .collect();
            let page = ErrorPage {
                ctx: &ctx,
                heading: ctx
                    .t("请补全异议", "Please complete your objection")
                    .to_owned(),
                text: format!(
                    "{}{}",
                    ctx.t(
                        "以下内容需要填写（不超过规定长度）：",
                        "These need filling in (within their length): "
                    ),
                    missing.join(ctx.t("、", ", "))
                ),
            };
            let html = page.render().unwrap_or_default();
            respond(
                request,
                Some(&ctx),
                Page::html(StatusCode::UNPROCESSABLE_ENTITY, html),
            )
        }
        Err(error) => failure(request, &ctx, &error),
    }
}

// ---------------------------------------------------------------------------------------------
// Lists of disclosures.

/// Where a disclosure list continues: before this record.
fn before(request: &Request) -> Option<crate::disclosures::repo::Before> {
    super::query_pairs(request)
        .get("before")
        .and_then(|cursor| cursor.parse().ok())
}

#[handler]
pub async fn all_notices_page(request: &Request, Data(state): Data<&AppState>) -> Response {
    disclosure_list(request, state, None, None).await
}

#[handler]
pub async fn tenant_notices_page(
    request: &Request,
    Data(state): Data<&AppState>,
    Path(slug): Path<String>,
) -> Response {
    disclosure_list(request, state, Some(&slug), None).await
}

#[handler]
pub async fn tenant_category_page(
    request: &Request,
    Data(state): Data<&AppState>,
    Path((slug, category)): Path<(String, String)>,
) -> Response {
    let ctx = PageCtx::from_request(request);
    let Some(category) = Category::parse(&category) else {
        return error_page(request, &ctx, StatusCode::NOT_FOUND);
    };
    disclosure_list(request, state, Some(&slug), Some(category)).await
}

async fn disclosure_list(
    request: &Request,
    state: &AppState,
    slug: Option<&str>,
    category: Option<Category>,
) -> Response {
    let ctx = PageCtx::from_request(request);
    let result = async {
        let tenants = tenant_map(state).await?;
        let tenant = match slug {
            Some(slug) => Some(tenants.get(slug).ok_or_else(ApiError::not_found)?),
            None => None,
        };
        let filter = DisclosureFilter {
            category: category.map(|category| category.as_str().to_owned()),
            before: before(request),
            ..DisclosureFilter::default()
        };
        let views = disclosures::list_disclosures(state, slug, filter, LIST_PAGE + 1).await?;
        Ok::<_, ApiError>((tenant.cloned(), views, tenants))
    }
    .await;
    let (tenant, mut views, tenants) = match result {
        Ok(found) => found,
        Err(error) => return failure(request, &ctx, &error),
    };
    let more = views.len() as u64 > LIST_PAGE;
    views.truncate(usize::try_from(LIST_PAGE).unwrap_or(usize::MAX));
    let (base, feed_url, mut heading) = match &tenant {
        Some(tenant) => (
            format!("/tenants/{}/disclosures", tenant.slug),
            match category {
                Some(category) => {
                    format!("/feeds/tenants/{}/{}.atom", tenant.slug, category.as_str())
                }
                None => format!("/feeds/tenants/{}.atom", tenant.slug),
            },
            format!(
                "{} · {}",
                tenant_name(&ctx, tenant),
                ctx.t("信息公开", "Disclosures")
            ),
        ),
        None => (
            "/disclosures".to_owned(),
            "/feeds/disclosures.atom".to_owned(),
            ctx.t("信息公开", "Disclosures").to_owned(),
        ),
    };
    if let Some(category) = category {
        heading = format!(
            "{heading} · {}",
            ctx.t(category.label_zh(), category.label_en())
        );
    }
    let here = match category {
        Some(category) => format!("{base}/{}", category.as_str()),
        None => base.clone(),
    };
    let categories = if tenant.is_some() {
        category_links(&ctx, &base, category)
    } else {
        Vec::new()
    };
    let page = DisclosureListPage {
        ctx: &ctx,
        heading,
        older_url: more
            .then(|| {
                views.last().map(|view| {
                    link(
                        &here,
                        &[(
                            "before",
                            &crate::disclosures::repo::Before::of(&view.model).to_string(),
                        )],
                    )
                })
            })
            .flatten(),
        notices: notice_rows(&ctx, &views, &tenants),
        categories,
        feed_url,
    };
    render(request, &ctx, &page, None)
}

// ---------------------------------------------------------------------------------------------
// Tenants.

#[handler]
pub async fn tenant_list_page(request: &Request, Data(state): Data<&AppState>) -> Response {
    let ctx = PageCtx::from_request(request);
    match tenant_map(state).await {
        Ok(tenants) => {
            let mut rows: Vec<(LinkRow, String)> = tenants
                .values()
                .map(|tenant| {
                    (
                        LinkRow {
                            label: tenant_name(&ctx, tenant),
                            url: format!("/tenants/{}", tenant.slug),
                        },
                        tenant.division_code.clone(),
                    )
                })
                .collect();
            rows.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.label.cmp(&b.0.label)));
            let page = TenantListPage {
                ctx: &ctx,
                tenants: rows,
            };
            render(request, &ctx, &page, None)
        }
        Err(error) => failure(request, &ctx, &error),
    }
}

#[handler]
pub async fn tenant_page(
    request: &Request,
    Data(state): Data<&AppState>,
    Path(slug): Path<String>,
) -> Response {
    let ctx = PageCtx::from_request(request);
    let result = async {
        let tenants = tenant_map(state).await?;
        let tenant = tenants.get(&slug).ok_or_else(ApiError::not_found)?;
        let views =
            disclosures::list_disclosures(state, Some(&slug), DisclosureFilter::default(), 10)
                .await?;
        let counted = organisation_facets(state, Some(&slug)).await;
        let organisations = counted.as_ref().map(|(total, _)| *total);
        let facets = counted.map(|(_, facets)| facets).unwrap_or_default();
        let own = facets
            .get("tenant")
            .and_then(|counts| counts.get(&slug))
            .copied()
            .unwrap_or(0);
        let parent = tenant
            .parent_id
            .and_then(|parent| tenants.values().find(|other| other.id == parent))
            .map(|parent| LinkRow {
                label: tenant_name(&ctx, parent),
                url: format!("/tenants/{}", parent.slug),
            });
        let mut children: Vec<&tenant::Model> = tenants
            .values()
            .filter(|other| other.parent_id == Some(tenant.id))
            .collect();
        children.sort_by(|a, b| a.division_code.cmp(&b.division_code));
        let search_in = |name: &'static str| {
            let slug = slug.clone();
            move |value: &str| {
                link(
                    "/search",
                    &[("kind", "organisation"), ("tenant", &slug), (name, value)],
                )
            }
        };
        Ok::<_, ApiError>(TenantPage {
            ctx: &ctx,
            slug: slug.clone(),
            name: tenant_name(&ctx, tenant),
            other_name: if ctx.is_en() {
                tenant.name_zh.clone()
            } else {
                tenant.name_en.clone()
            },
            parent,
            children: children
                .into_iter()
                .map(|child| LinkRow {
                    label: tenant_name(&ctx, child),
                    url: format!("/tenants/{}", child.slug),
                })
                .collect(),
            own,
            organisations,
            types: count_rows(
                facets.get("org_type"),
                |code| type_label(&ctx, code),
                search_in("type"),
            ),
            statuses: count_rows(
                facets.get("status"),
                |code| status_label(&ctx, code),
                search_in("status"),
            ),
            notices: notice_rows(&ctx, &views, &tenants),
            categories: category_links(&ctx, &format!("/tenants/{slug}/disclosures"), None)
                .into_iter()
                .map(|(link, _)| link)
                .collect(),
        })
    }
    .await;
    match result {
        Ok(page) => render(request, &ctx, &page, None),
        Err(error) => failure(request, &ctx, &error),
    }
}

#[handler]
pub async fn incubation_page(
    request: &Request,
    Data(state): Data<&AppState>,
    Path(slug): Path<String>,
) -> Response {
    let ctx = PageCtx::from_request(request);
    let result = async {
        let tenant = tenants::service::get_tenant(state, &slug).await?;
        let (groups, _) = incubation::list_groups(state, None, &slug, None).await?;
        Ok::<_, ApiError>(IncubationPage {
            ctx: &ctx,
            tenant_name: tenant_name(&ctx, &tenant.model),
            tenant_url: format!("/tenants/{slug}"),
            groups: groups
                .into_iter()
                .map(|group| GroupRow {
                    name: group.name,
                    service_areas: serde_json::from_str::<Vec<String>>(&group.service_areas)
                        .unwrap_or_default()
                        .join("、"),
                })
                .collect(),
        })
    }
    .await;
    match result {
        Ok(page) => render(request, &ctx, &page, None),
        Err(error) => failure(request, &ctx, &error),
    }
}

// ---------------------------------------------------------------------------------------------
// The stylesheet.

/// `/static/portal.<hash>.css`, for good; the plain `portal.css` for an hour.
#[handler]
pub async fn stylesheet(request: &Request, Path(file): Path<String>) -> Response {
    let max_age = if super::STYLESHEET_URL.ends_with(&format!("/{file}")) {
        super::respond::IMMUTABLE
    } else if file == "portal.css" {
        3600
    } else {
        let ctx = PageCtx::from_request(request);
        return error_page(request, &ctx, StatusCode::NOT_FOUND);
    };
    let mut page = Page::html(StatusCode::OK, super::STYLESHEET.to_owned());
    page.content_type = "text/css; charset=utf-8";
    page.max_age = max_age;
    respond(request, None, page)
}
