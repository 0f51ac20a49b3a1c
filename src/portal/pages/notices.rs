//! Disclosures: one notice (and its print view and objection form), and the lists of them.

use super::common::*;

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

#[handler]
pub async fn notice_page(
    request: &Request,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> Response {
    let font = query_pairs(request).remove("font").unwrap_or_default();
    disclosure_view(request, state, &id, &font, false).await
}

#[handler]
pub async fn notice_print_page(
    request: &Request,
    Data(state): Data<&AppState>,
    Path(id): Path<String>,
) -> Response {
    let font = query_pairs(request).remove("font").unwrap_or_default();
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
    let objection_received =
        query_pairs(request).get("objection").map(String::as_str) == Some("received");
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
    let client = crate::clients::client_of(&state.config.trusted_proxies, request);
    match crate::evaluations::objections::object(
        state,
        &client,
        application,
        crate::evaluations::objections::NewObjection {
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

/// Where a disclosure list continues: before this record.
fn before(request: &Request) -> Option<crate::disclosures::repo::Before> {
    query_pairs(request)
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
