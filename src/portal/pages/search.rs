//! The search page: organisations, tenders and disclosures with their facets.

use super::common::*;

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
        let pairs = query_pairs(request);
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
