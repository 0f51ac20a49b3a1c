//! The public portal: server-rendered pages over the register, the search and the disclosures,
//! Chinese first with English, usable without JavaScript. Every page is rendered in full, then
//! answered through [`respond`]: an ETag (and Last-Modified where the page has a date) for
//! revalidation, gzip when the browser takes it, and the security headers.

mod context;
mod pages;
mod respond;

use std::sync::LazyLock;

use poem::{Request, Route, get};

pub use context::{Lang, PageCtx, STARTED_AT, STYLESHEET, STYLESHEET_URL, link, query_pairs};
pub use respond::{Page, respond};

/// Adds the portal's routes, at the root of the site (and its 404 page for any other address).
pub fn routes(route: Route) -> Route {
    LazyLock::force(&STARTED_AT);
    route
        .at("/", get(pages::home_page))
        .at("/search", get(pages::search_page))
        .at("/orgs/:code", get(pages::profile_page))
        .at("/disclosures", get(pages::all_notices_page))
        .at("/disclosures/:id", get(pages::notice_page))
        .at(
            "/disclosures/:id/objection",
            poem::post(pages::objection_post),
        )
        .at("/disclosures/:id/print", get(pages::notice_print_page))
        .at("/tenants", get(pages::tenant_list_page))
        .at("/tenants/:slug", get(pages::tenant_page))
        .at(
            "/tenants/:slug/disclosures",
            get(pages::tenant_notices_page),
        )
        .at(
            "/tenants/:slug/disclosures/:category",
            get(pages::tenant_category_page),
        )
        .at("/tenants/:slug/incubation", get(pages::incubation_page))
        .at("/static/:file", get(pages::stylesheet))
}

/// The portal's 404 page, for an address nothing answers (outside the API).
pub fn not_found(request: &Request) -> poem::Response {
    pages::not_found_response(request)
}
