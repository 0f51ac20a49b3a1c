//! The home page: the latest notices and the register counted by district, type and status.

use super::common::*;

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
