//! Tenants: the list of registries, one registry's page and its incubation base.

use super::common::*;

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
