//! How a rendered page is answered: revalidation by ETag and Last-Modified, gzip, security
//! headers.

use std::io::Write as _;

use chrono::{DateTime, Utc};
use poem::{
    Request, Response,
    http::{HeaderValue, StatusCode, header},
};
use sha2::{Digest, Sha256};

use super::PageCtx;

/// Pages send no script and load nothing from elsewhere; styles come from the portal's own
/// stylesheet.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// A `max_age` from which a response never changes (content-addressed files): a year.
pub const IMMUTABLE: u32 = 31_536_000;

/// Bodies smaller than this are not worth compressing.
const COMPRESS_FROM: usize = 1024;

/// A rendered page.
pub struct Page {
    pub status: StatusCode,
    pub body: Vec<u8>,
    pub content_type: &'static str,
    /// When what the page shows last changed, where it is known.
    pub last_modified: Option<DateTime<Utc>>,
    /// Seconds a browser may reuse the page without asking (0: ask every time, by ETag).
    pub max_age: u32,
}

impl Page {
    pub fn html(status: StatusCode, body: String) -> Self {
        Self {
            status,
            body: body.into_bytes(),
            content_type: "text/html; charset=utf-8",
            last_modified: None,
            max_age: 0,
        }
    }

    pub fn modified(mut self, at: Option<DateTime<Utc>>) -> Self {
        self.last_modified = at;
        self
    }
}

/// The response to `request` for `page`: `304 Not Modified` when the browser's copy is
/// current, else the page, gzipped if the browser accepts it.
pub fn respond(request: &Request, ctx: Option<&PageCtx>, page: Page) -> Response {
    let etag = format!("W/\"{}\"", hex::encode(&Sha256::digest(&page.body)[..12]));
    // Seconds only: that is all an HTTP date holds.
    // Never older than this process, so that a new release is never answered "not modified".
    let last_modified = page
        .last_modified
        .map(|at| at.max(*super::STARTED_AT))
        .and_then(|at| DateTime::<Utc>::from_timestamp(at.timestamp(), 0));
    let sets_cookie = ctx.is_some_and(|ctx| !ctx.cookies.is_empty());
    let cacheable = page.status == StatusCode::OK && !sets_cookie;
    // A page chosen by the reader's cookies is theirs alone; caches that ignore `Vary: Cookie`
    // must not hand it to others.
    let shared = !ctx.is_some_and(|ctx| ctx.personal);

    let mut builder = Response::builder()
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
        .header(header::REFERRER_POLICY, "strict-origin-when-cross-origin")
        .header(header::X_FRAME_OPTIONS, "DENY")
        .header(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY)
        .header(
            header::VARY,
            if ctx.is_some() {
                "Cookie, Accept-Encoding"
            } else {
                "Accept-Encoding"
            },
        );
    if let Some(ctx) = ctx {
        builder = builder.header(header::CONTENT_LANGUAGE, ctx.html_lang());
        for cookie in &ctx.cookies {
            builder = builder.header(header::SET_COOKIE, cookie.as_str());
        }
    }
    if cacheable {
        let cache_control = if page.max_age >= IMMUTABLE {
            format!("public, max-age={}, immutable", page.max_age)
        } else {
            format!(
                "{}, max-age={}, must-revalidate",
                if shared { "public" } else { "private" },
                page.max_age
            )
        };
        builder = builder
            .header(header::ETAG, etag.as_str())
            .header(header::CACHE_CONTROL, cache_control);
        if let Some(at) = last_modified {
            builder = builder.header(header::LAST_MODIFIED, http_date(at));
        }
        if not_modified(request, &etag, last_modified) {
            return builder.status(StatusCode::NOT_MODIFIED).finish();
        }
    } else {
        builder = builder.header(header::CACHE_CONTROL, "private, no-cache");
    }
    builder = builder.status(page.status).content_type(page.content_type);
    if page.body.len() >= COMPRESS_FROM
        && accepts_gzip(request)
        && let Some(compressed) = gzip(&page.body)
    {
        return builder
            .header(header::CONTENT_ENCODING, "gzip")
            .body(compressed);
    }
    builder.body(page.body)
}

/// `If-None-Match` decides when sent; otherwise `If-Modified-Since`.
fn not_modified(request: &Request, etag: &str, last_modified: Option<DateTime<Utc>>) -> bool {
    let headers = request.headers();
    if let Some(tags) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
    {
        // Weak comparison: `W/"x"` and `"x"` are the same tag.
        let ours = etag.trim_start_matches("W/");
        return tags
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours);
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| DateTime::parse_from_rfc2822(value).ok());
    matches!((since, last_modified), (Some(since), Some(modified)) if modified <= since)
}

fn accepts_gzip(request: &Request) -> bool {
    request
        .headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or_default();
            let refused = parts.any(|parameter| {
                parameter
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q <= 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

fn gzip(body: &[u8]) -> Option<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 3),
        flate2::Compression::new(6),
    );
    encoder.write_all(body).ok()?;
    encoder.finish().ok()
}

/// An IMF-fixdate, as HTTP dates are written.
fn http_date(at: DateTime<Utc>) -> HeaderValue {
    HeaderValue::from_str(&at.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

#[cfg(test)]
mod tests {
    use poem::{Request, http::header};

    use super::{accepts_gzip, not_modified};

    fn with(name: header::HeaderName, value: &str) -> Request {
        Request::builder().header(name, value).finish()
    }

    #[test]
    fn gzip_is_sent_only_when_accepted() {
        assert!(accepts_gzip(&with(header::ACCEPT_ENCODING, "gzip, br")));
        assert!(accepts_gzip(&with(
            header::ACCEPT_ENCODING,
            "deflate, GZIP;q=0.5"
        )));
        assert!(!accepts_gzip(&with(
            header::ACCEPT_ENCODING,
            "gzip;q=0, br"
        )));
        assert!(!accepts_gzip(&with(header::ACCEPT_ENCODING, "identity")));
        assert!(!accepts_gzip(&Request::builder().finish()));
    }

    #[test]
    fn revalidation_compares_tags_weakly_and_dates_by_the_second() {
        let tag = "W/\"abc\"";
        assert!(not_modified(
            &with(header::IF_NONE_MATCH, "\"abc\""),
            tag,
            None
        ));
        assert!(not_modified(
            &with(header::IF_NONE_MATCH, "W/\"x\", W/\"abc\""),
            tag,
            None
        ));
        assert!(!not_modified(
            &with(header::IF_NONE_MATCH, "\"abd\""),
            tag,
            None
        ));
        let modified = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
            .unwrap()
            .to_utc();
        let since = |value: &str| with(header::IF_MODIFIED_SINCE, value);
        assert!(not_modified(
            &since("Mon, 02 Mar 2026 09:00:00 GMT"),
            tag,
            Some(modified)
        ));
        assert!(!not_modified(
            &since("Mon, 02 Mar 2026 08:59:59 GMT"),
            tag,
            Some(modified)
        ));
        assert!(!not_modified(&since("not a date"), tag, Some(modified)));
        // A tag that does not match wins over a date that would.
        let both = Request::builder()
            .header(header::IF_NONE_MATCH, "\"other\"")
            .header(header::IF_MODIFIED_SINCE, "Mon, 02 Mar 2026 09:00:00 GMT")
            .finish();
        assert!(!not_modified(&both, tag, Some(modified)));
    }
}
