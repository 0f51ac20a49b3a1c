//! The portal's stylesheet.

use super::common::*;

/// `/static/portal.<hash>.css`, for good; the plain `portal.css` for an hour.
#[handler]
pub async fn stylesheet(request: &Request, Path(file): Path<String>) -> Response {
    let max_age = if super::super::STYLESHEET_URL.ends_with(&format!("/{file}")) {
        super::super::respond::IMMUTABLE
    } else if file == "portal.css" {
        3600
    } else {
        let ctx = PageCtx::from_request(request);
        return error_page(request, &ctx, StatusCode::NOT_FOUND);
    };
    let mut page = Page::html(StatusCode::OK, super::super::STYLESHEET.to_owned());
    page.content_type = "text/css; charset=utf-8";
    page.max_age = max_age;
    respond(request, None, page)
}
