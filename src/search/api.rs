//! `GET /api/v1/search`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use poem_openapi::{Enum, Object, OpenApi, Tags, param::Query, payload::Json};
use search_index::{Kind, SearchQuery, SearchResults, Sort};

use crate::auth::bearer::OptionalBearerAuth;
use crate::{
    error::{ApiError, ApiResult},
    http::paging::PageRequest,
    state::AppState,
};

#[derive(Tags)]
enum SearchTags {
    /// Public search over organisations and disclosures.
    Search,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum KindParam {
    Organisation,
    Disclosure,
    Tender,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Enum)]
#[oai(rename_all = "snake_case")]
pub enum SortParam {
    Relevance,
    Date,
}

/// One result.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SearchHit {
    /// `organisation`, `disclosure` or `tender`.
    pub kind: String,
    pub id: String,
    pub title: String,
    /// HTML: the matching words in `<b>`, everything else escaped.
    pub snippet: String,
    /// Unified social credit code, for organisations.
    pub uscc: Option<String>,
    /// The tenant's slug.
    pub tenant: String,
    pub url: String,
    pub score: f32,
}

/// Results, with counts per facet value over everything that matched.
#[derive(Debug, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct SearchResponse {
    pub total: u64,
    pub hits: Vec<SearchHit>,
    /// Facet → value → count: `kind`, `tenant`, `org_type`, `status`, `grade`, `service_area`,
    /// `category`, `year`.
    pub facets: BTreeMap<String, BTreeMap<String, u64>>,
    pub next_cursor: Option<String>,
}

pub struct SearchApi {
    state: AppState,
}

impl SearchApi {
    pub fn new(state: AppState) -> Self {
        Self { state }
    }
}

/// Anonymous searches one address may make per minute.
const ANONYMOUS_PER_MINUTE: i32 = 120;

#[OpenApi(tag = "SearchTags::Search")]
impl SearchApi {
    /// Search organisations and disclosures in Chinese, pinyin, initials or by code. Any text is
    /// accepted. All tenants by default; `tenant` includes the tenants below it.
    #[allow(clippy::too_many_arguments)]
    #[oai(path = "/search", method = "get", operation_id = "search")]
    async fn search(
        &self,
        auth: OptionalBearerAuth,
        request: &poem::Request,
        q: Query<Option<String>>,
        kind: Query<Option<KindParam>>,
        tenant: Query<Option<String>>,
        #[oai(name = "type")] org_type: Query<Option<String>>,
        status: Query<Option<String>>,
        service_area: Query<Option<String>>,
        grade: Query<Option<String>>,
        category: Query<Option<String>>,
        from: Query<Option<DateTime<Utc>>>,
        to: Query<Option<DateTime<Utc>>>,
        sort: Query<Option<SortParam>>,
        /// `false` skips the facet counts, for faster answers.
        facets: Query<Option<bool>>,
        limit: Query<Option<crate::http::paging::Limit>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<SearchResponse>> {
        let principal = auth.principal(&self.state).await?;
        if principal.is_none() {
            check_anonymous_limit(&self.state, request)?;
        }
        let page = PageRequest::parse(
            limit.0.map(crate::http::paging::Limit::get).or(Some(20)),
            cursor.0,
        )?;
        let offset = page.after_as::<usize>()?.unwrap_or(0);
        let query = SearchQuery {
            text: q.0.unwrap_or_default(),
            kinds: kind
                .0
                .map(|kind| match kind {
                    KindParam::Organisation => Kind::Organisation,
                    KindParam::Disclosure => Kind::Disclosure,
                    KindParam::Tender => Kind::Tender,
                })
                .into_iter()
                .collect(),
            tenant: tenant.0,
            org_type: org_type.0,
            status: status.0,
            service_area: service_area.0,
            grade: grade.0,
            category: category.0,
            year: None,
            published_from: from.0,
            published_to: to.0,
            sort: match sort.0 {
                Some(SortParam::Date) => Sort::Date,
                _ => Sort::Relevance,
            },
            offset,
            limit: usize::try_from(page.limit).unwrap_or(20),
            without_facets: facets.0 == Some(false),
        };
        let results = run(&self.state, query).await?;
        let shown = offset + results.hits.len();
        // No cursor to a page that would be refused: paging stops at `MAX_OFFSET`.
        let next_cursor = (shown < results.total && shown <= search_index::MAX_OFFSET).then(|| {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(shown.to_string())
        });
        Ok(Json(SearchResponse {
            total: results.total as u64,
            hits: results
                .hits
                .into_iter()
                .map(|hit| SearchHit {
                    kind: hit.kind,
                    id: hit.id,
                    title: hit.title,
                    snippet: hit.snippet,
                    uscc: hit.uscc,
                    tenant: hit.tenant,
                    url: hit.url,
                    score: hit.score,
                })
                .collect(),
            facets: results.facets,
            next_cursor,
        }))
    }
}

/// Counts an anonymous search against its address's allowance (the API and the portal's search
/// page share it); `429` with `Retry-After` beyond it.
pub fn check_anonymous_limit(state: &AppState, request: &poem::Request) -> ApiResult<()> {
    let address = crate::clients::client_of(&state.config.trusted_proxies, request);
    match state.read_limits.hit(
        &format!("search:{address}"),
        ANONYMOUS_PER_MINUTE,
        chrono::Duration::minutes(1),
        state.clock.now(),
    ) {
        Some(retry_after) => Err(ApiError::too_many_requests(retry_after)),
        None => Ok(()),
    }
}

/// Runs a query on this node's index, off the async threads: the one code path of the API and
/// the portal.
pub async fn run(state: &AppState, query: SearchQuery) -> ApiResult<SearchResults> {
    let Some(service) = &state.search else {
        return Err(ApiError::new(
            poem::http::StatusCode::SERVICE_UNAVAILABLE,
            "search_unavailable",
            "search is not available on this node",
        ));
    };
    let service = service.clone();
    tokio::task::spawn_blocking(move || service.index.search(&query))
        .await
        .map_err(ApiError::internal)?
        .map_err(|error| match error {
            search_index::SearchError::OffsetTooLarge(limit) => ApiError::field(
                "cursor",
                "too_deep",
                format!("results beyond {limit} are not paged; narrow the query"),
            ),
            other => ApiError::internal(other),
        })
}
