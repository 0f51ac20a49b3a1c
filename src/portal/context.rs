//! What a page knows of its request: the reader's language and elderly mode (from the query or
//! their cookies), the query's parameters, links that keep them, and the stylesheet's address.

use std::{collections::HashMap, fmt::Write as _, sync::LazyLock};

use poem::Request;
use sha2::{Digest, Sha256};

/// The portal's stylesheet, built into the binary.
pub const STYLESHEET: &str = include_str!("../../templates/portal/portal.css");

/// Its address, named by its content: cached for good, and a new release changes it.
pub static STYLESHEET_URL: LazyLock<String> = LazyLock::new(|| {
    let digest = Sha256::digest(STYLESHEET.as_bytes());
    format!("/static/portal.{}.css", hex::encode(&digest[..6]))
});

/// When this process started (its routes were made): pages are never older than the templates
/// that render them.
pub static STARTED_AT: LazyLock<chrono::DateTime<chrono::Utc>> = LazyLock::new(chrono::Utc::now);

/// The query's parameters; a name given twice keeps its first value.
pub fn query_pairs(request: &Request) -> HashMap<String, String> {
    let mut pairs = HashMap::new();
    for (key, value) in form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
    {
        pairs
            .entry(key.into_owned())
            .or_insert_with(|| value.into_owned());
    }
    pairs
}

/// The language of a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    fn parse(value: &str) -> Option<Self> {
        match value {
            "zh" | "zh-CN" | "zh-cn" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// What every page knows about the request: the reader's language and display settings, and
/// the links that switch them on this same page.
pub struct PageCtx {
    pub lang: Lang,
    /// 长者模式: larger type, higher contrast.
    pub elderly: bool,
    /// Links to this page in the other language and with elderly mode toggled.
    pub lang_toggle_url: String,
    pub elderly_toggle_url: String,
    /// Cookies to set: a switch chosen by query parameter is remembered.
    pub(super) cookies: Vec<String>,
    /// The request carries the reader's choices: the page is theirs, not for shared caches.
    pub(super) personal: bool,
}

const LANG_COOKIE: &str = "socorg_lang";
const ELDERLY_COOKIE: &str = "socorg_elderly";
/// A year, in seconds.
const COOKIE_MAX_AGE: u32 = 31_536_000;

impl PageCtx {
    /// Reads `?lang=` / `?elderly=` (remembered in cookies when given) or the cookies.
    pub fn from_request(request: &Request) -> Self {
        let pairs: Vec<(String, String)> =
            form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
                .into_owned()
                .collect();
        let query_value = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.as_str())
        };
        let cookie = |name: &str| {
            request
                .headers()
                .get_all(poem::http::header::COOKIE)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(';'))
                .filter_map(|pair| pair.trim().split_once('='))
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_owned())
        };
        // Only the server reads them; over HTTPS they travel only over HTTPS.
        let secure = request
            .data::<crate::state::AppState>()
            .is_some_and(|state| state.config.public_url().starts_with("https://"));
        let attributes = format!(
            "Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax; HttpOnly{}",
            if secure { "; Secure" } else { "" }
        );
        let personal = cookie(LANG_COOKIE).is_some() || cookie(ELDERLY_COOKIE).is_some();
        let mut cookies = Vec::new();
        let lang = match query_value("lang").and_then(Lang::parse) {
            Some(lang) => {
                cookies.push(format!("{LANG_COOKIE}={}; {attributes}", lang.code()));
                lang
            }
            None => cookie(LANG_COOKIE)
                .as_deref()
                .and_then(Lang::parse)
                .unwrap_or(Lang::Zh),
        };
        let elderly = match query_value("elderly") {
            Some(value @ ("on" | "off")) => {
                cookies.push(format!("{ELDERLY_COOKIE}={value}; {attributes}"));
                value == "on"
            }
            _ => cookie(ELDERLY_COOKIE).as_deref() == Some("on"),
        };
        let path = request.uri().path();
        let other_lang = match lang {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        };
        Self {
            lang,
            elderly,
            lang_toggle_url: with_param(path, &pairs, "lang", other_lang.code()),
            elderly_toggle_url: with_param(
                path,
                &pairs,
                "elderly",
                if elderly { "off" } else { "on" },
            ),
            cookies,
            personal,
        }
    }

    /// The stylesheet's address.
    pub fn stylesheet(&self) -> &'static str {
        STYLESHEET_URL.as_str()
    }

    /// The text in the page's language.
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    /// The value of the `lang` attribute of the page.
    pub fn html_lang(&self) -> &'static str {
        match self.lang {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }
}

/// `path?query` with `name` set to `value` (and the other switches left out, as they are
/// remembered by cookie once chosen).
fn with_param(path: &str, pairs: &[(String, String)], name: &str, value: &str) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (key, existing) in pairs {
        if key != "lang" && key != "elderly" {
            query.append_pair(key, existing);
        }
    }
    query.append_pair(name, value);
    let mut url = String::from(path);
    let _ = write!(url, "?{}", query.finish());
    url
}

/// A link to `path` with the query `pairs` (empty values left out).
pub fn link(path: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    let mut any = false;
    for (key, value) in pairs {
        if !value.is_empty() {
            query.append_pair(key, value);
            any = true;
        }
    }
    if any {
        format!("{path}?{}", query.finish())
    } else {
        path.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::{link, with_param};

    #[test]
    fn switch_links_keep_the_query_and_drop_the_other_switches() {
        let pairs = vec![
            ("q".to_owned(), "福田 长者".to_owned()),
            ("elderly".to_owned(), "on".to_owned()),
            ("page".to_owned(), "2".to_owned()),
        ];
        assert_eq!(
            with_param("/search", &pairs, "lang", "en"),
            "/search?q=%E7%A6%8F%E7%94%B0+%E9%95%BF%E8%80%85&page=2&lang=en"
        );
        assert_eq!(
            link("/search", &[("q", "a&b"), ("kind", "")]),
            "/search?q=a%26b"
        );
        assert_eq!(link("/search", &[("q", "")]), "/search");
    }
}
