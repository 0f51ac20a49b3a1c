//! Atom 1.0 feeds of disclosures: `/feeds/disclosures.atom` (every tenant),
//! `/feeds/tenants/{slug}.atom` (a tenant and the tenants below it) and
//! `/feeds/tenants/{slug}/{category}.atom`. Entries are the newest records, identified by
//! `urn:uuid:` and their record id, which never change; a record is never edited, so an entry's
//! `updated` is its publication time.

use askama::Template;
use poem::{
    IntoResponse, Response, Route, get, handler,
    web::{Data, Path},
};

use super::{
    Category,
    repo::DisclosureFilter,
    service::{self, DisclosureView},
};
use crate::{error::ApiError, state::AppState, tenants};

/// Entries in a feed: the newest records.
const ENTRIES: u64 = 50;

struct Entry {
    id: String,
    title: String,
    published: String,
    publisher: String,
    url: String,
    category: String,
    category_label: String,
    index_no: String,
    summary: String,
    body: String,
}

#[derive(Template)]
#[template(path = "feeds/disclosures.xml")]
struct Feed {
    feed_url: String,
    site_url: String,
    title: String,
    author: String,
    updated: String,
    entries: Vec<Entry>,
}

/// Characters XML 1.0 may not hold (most control characters) are left out.
fn xml_text(text: &str) -> String {
    text.chars()
        .filter(|character| {
            matches!(character, '\t' | '\n' | '\r')
                || (*character >= ' ' && !matches!(character, '\u{FFFE}' | '\u{FFFF}'))
        })
        .collect()
}

fn rfc3339(at: chrono::DateTime<chrono::Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn entry(view: &DisclosureView, base: &str) -> Entry {
    let model = &view.model;
    let category = Category::parse(&model.category);
    Entry {
        id: model.id.to_string(),
        title: xml_text(&model.title),
        published: rfc3339(model.published_at),
        publisher: xml_text(&model.publisher),
        url: format!("{base}/disclosures/{}", model.id),
        category: model.category.clone(),
        category_label: category
            .map_or_else(String::new, |category| category.label_zh().to_owned()),
        index_no: xml_text(&model.index_no),
        summary: xml_text(&model.body.chars().take(200).collect::<String>()),
        body: xml_text(&model.body),
    }
}

async fn feed(
    state: &AppState,
    tenant: Option<&str>,
    category: Option<Category>,
    path: &str,
) -> Result<Response, ApiError> {
    let base = state.config.public_url();
    let (title, author, site_url) = match tenant {
        Some(slug) => {
            let tenant = tenants::service::get_tenant(state, slug).await?;
            let name = tenant.model.name_zh.clone();
            (name.clone(), name, format!("{base}/tenants/{slug}"))
        }
        None => ("socorg".to_owned(), "socorg".to_owned(), format!("{base}/")),
    };
    let title = match category {
        Some(category) => format!("{title} · {}", category.label_zh()),
        None => format!("{title} · 信息公开"),
    };
    let filter = DisclosureFilter {
        category: category.map(|category| category.as_str().to_owned()),
        ..DisclosureFilter::default()
    };
    let views = service::list_disclosures(state, tenant, filter, ENTRIES).await?;
    let updated = views
        .iter()
        .map(|view| view.model.published_at)
        .max()
        .unwrap_or_else(|| state.clock.now());
    let feed = Feed {
        feed_url: format!("{base}{path}"),
        site_url,
        title: xml_text(&title),
        author: xml_text(&author),
        updated: rfc3339(updated),
        entries: views.iter().map(|view| entry(view, &base)).collect(),
    };
    let xml = feed.render().map_err(ApiError::internal)?;
    Ok(xml
        .with_content_type("application/atom+xml; charset=utf-8")
        .with_header("Cache-Control", "public, max-age=60")
        .with_header("X-Content-Type-Options", "nosniff")
        .into_response())
}

fn answer(result: Result<Response, ApiError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

#[handler]
async fn all_disclosures(Data(state): Data<&AppState>) -> Response {
    answer(feed(state, None, None, "/feeds/disclosures.atom").await)
}

/// `{slug}.atom`: the tenant's feed.
#[handler]
async fn tenant_disclosures(Data(state): Data<&AppState>, Path(file): Path<String>) -> Response {
    let Some(slug) = file.strip_suffix(".atom") else {
        return ApiError::not_found().into_response();
    };
    let path = format!("/feeds/tenants/{file}");
    answer(feed(state, Some(slug), None, &path).await)
}

/// `{slug}/{category}.atom`: one category of the tenant's records.
#[handler]
async fn tenant_category(
    Data(state): Data<&AppState>,
    Path((slug, file)): Path<(String, String)>,
) -> Response {
    let Some(category) = file.strip_suffix(".atom").and_then(Category::parse) else {
        return ApiError::not_found().into_response();
    };
    let path = format!("/feeds/tenants/{slug}/{file}");
    answer(feed(state, Some(&slug), Some(category), &path).await)
}

pub fn routes() -> Route {
    Route::new()
        .at("/disclosures.atom", get(all_disclosures))
        .at("/tenants/:file", get(tenant_disclosures))
        .at("/tenants/:slug/:file", get(tenant_category))
}
