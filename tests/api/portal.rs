//! The public portal: pages render hostile data as text, answer in Chinese or English as chosen,
//! revalidate by ETag and Last-Modified, compress, send the security headers; and a reader's
//! path through them in headless Chromium, with an accessibility check on every kind of page.

use std::{
    io::Read as _,
    time::{Duration, Instant},
};

use chrono::Timelike as _;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(
    pages_show_hostile_data_as_text_and_keep_their_shape,
    pages_revalidate_compress_and_switch_language,
);

/// A page as the browser gets it (reqwest here does not decompress: gzip is asked explicitly).
struct Html {
    status: StatusCode,
    headers: header::HeaderMap,
    text: String,
}

async fn page(app: &TestApp, path: &str) -> Html {
    page_with(app, path, &[]).await
}

async fn page_with(app: &TestApp, path: &str, headers: &[(&str, &str)]) -> Html {
    let mut request = app.client.get(app.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.unwrap();
    let text = if headers
        .get(header::CONTENT_ENCODING)
        .is_some_and(|coding| coding == "gzip")
    {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .unwrap();
        text
    } else {
        String::from_utf8(bytes.to_vec()).unwrap()
    };
    Html {
        status,
        headers,
        text,
    }
}

/// Polls the search API until `query` finds `expected` (the index follows on its own). Signed
/// in, so that polling does not use up the anonymous allowance the pages share.
async fn until_found(app: &TestApp, token: &str, query: &str, expected: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let found = app
            .get(
                &format!("/api/v1/search?q={}&limit=50", urlencode(query)),
                Some(token),
            )
            .await;
        assert_eq!(found.status, StatusCode::OK, "{}", found.text);
        if found.text.contains(expected) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{query} never found {expected}: {}",
            found.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn urlencode(text: &str) -> String {
    percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// What every portal page must be: one document, one `h1`, the headers a public page sends.
#[track_caller]
fn well_formed(html: &Html, path: &str) {
    assert_eq!(html.status, StatusCode::OK, "{path}: {}", html.text);
    let text = &html.text;
    assert!(text.starts_with("<!DOCTYPE html>"), "{path}");
    assert!(text.trim_end().ends_with("</html>"), "{path}: truncated");
    assert_eq!(text.matches("<h1").count(), 1, "{path}: one h1");
    assert_eq!(text.matches("<main").count(), 1, "{path}: one main");
    // No script of any kind: not ours, and none smuggled in by data.
    assert!(!text.to_lowercase().contains("<script"), "{path}: a script");
    assert!(!text.contains("<img"), "{path}: an element from data");
    let csp = html.headers[header::CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap();
    assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
    assert_eq!(html.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(html.headers.contains_key(header::REFERRER_POLICY), "{path}");
    assert!(
        html.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{path}"
    );
}

const HOSTILE_NAME: &str = "<script>alert('名称')</script>深圳市福田区\"引号\"&amp;测试协会";
const HOSTILE_TITLE: &str = "关于<img src=x onerror=alert(1)>的通知";

async fn pages_show_hostile_data_as_text_and_keep_their_shape(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.platform_admin("root@example.org").await;
    app.create_tenant(&root, "futian", "440304", None).await;
    let long_name = format!("深圳市福田区{}协会", "非常长的名称".repeat(30));
    let code = socorg::types::Uscc::issue('1', "440304", 7)
        .unwrap()
        .to_string();
    let other_code = socorg::types::Uscc::issue('1', "440304", 8)
        .unwrap()
        .to_string();
    let csv = format!(
        "name,uscc,type,address,legal_representative,service_areas,founded_on,registered_funds_fen,status,status_reason,status_date\n\
         \"{}\",{code},social_group,\"<b>福华路</b>\",\"</td></tr></table>\",养老;<i>社区</i>,2010-01-01,100000,registered,,\n\
         {long_name},{other_code},social_group,福华路1号,张三,养老,,100000,abnormal,\"\",\n",
        HOSTILE_NAME.replace('"', "\"\"")
    );
    let imported = app
        .client
        .post(app.url("/api/v1/tenants/futian/organisations/import"))
        .bearer_auth(&root)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    assert_eq!(
        imported.status(),
        StatusCode::OK,
        "{}",
        imported.text().await.unwrap()
    );
    let published = app
        .post(
            "/api/v1/tenants/futian/disclosures",
            Some(&root),
            json!({
                "title": HOSTILE_TITLE,
                "body": "第一段<script>alert(2)</script>\n\n第二段 </p></article><h1>假标题</h1>",
                "subject_terms": ["<b>主题</b>"],
                "document_number": "深民〔2026〕<1>号",
            }),
        )
        .await;
    assert_eq!(published.status, StatusCode::CREATED, "{}", published.text);
    let notice = published.body["id"].as_str().unwrap().to_owned();
    until_found(&app, &root, "引号", &code).await;
    until_found(&app, &root, "img", &notice).await;

    let escaped_name = "&#60;script&#62;alert(&#39;名称&#39;)&#60;/script&#62;";
    let profile = page(&app, &format!("/orgs/{code}")).await;
    well_formed(&profile, "profile");
    assert!(profile.text.contains(escaped_name), "{}", profile.text);
    assert!(
        profile.text.contains("&#38;amp;测试协会"),
        "{}",
        profile.text
    );
    assert!(
        profile
            .text
            .contains("&#60;/td&#62;&#60;/tr&#62;&#60;/table&#62;")
    );
    // Empty fields show a dash, not an empty cell that shifts the table.
    let long = page(&app, &format!("/orgs/{other_code}")).await;
    well_formed(&long, "profile of a long name");
    assert!(long.text.contains(&long_name));
    assert!(
        long.text.contains("<td lang=\"zh-CN\">—</td>"),
        "{}",
        long.text
    );

    let shown = page(&app, &format!("/disclosures/{notice}")).await;
    well_formed(&shown, "disclosure");
    assert!(
        shown
            .text
            .contains("关于&#60;img src=x onerror=alert(1)&#62;的通知")
    );
    assert!(
        shown
            .text
            .contains("<p>第一段&#60;script&#62;alert(2)&#60;/script&#62;</p>")
    );
    assert!(shown.text.contains("&#60;h1&#62;假标题&#60;/h1&#62;"));
    assert!(shown.text.contains("深民〔2026〕&#60;1&#62;号"));
    let printed = page(&app, &format!("/disclosures/{notice}/print")).await;
    well_formed(&printed, "print view");

    for (path, expected) in [
        ("/search?q=%E5%BC%95%E5%8F%B7".to_owned(), escaped_name),
        ("/search?q=img".to_owned(), "&#60;img src=x"),
        ("/".to_owned(), "&#60;img src=x"),
        ("/tenants/futian".to_owned(), "&#60;img src=x"),
        ("/tenants/futian/disclosures".to_owned(), "&#60;img src=x"),
        (
            "/tenants/futian/disclosures/policy".to_owned(),
            "&#60;img src=x",
        ),
        ("/disclosures".to_owned(), "&#60;img src=x"),
    ] {
        let html = page(&app, &path).await;
        well_formed(&html, &path);
        assert!(html.text.contains(expected), "{path}: {}", html.text);
    }
    // In a snippet the match is highlighted, and the markup around it in the data escaped.
    let search = page(
        &app,
        "/search?q=%E7%A6%8F%E5%8D%8E%E8%B7%AF&kind=organisation",
    )
    .await;
    well_formed(&search, "search for the address");
    assert!(
        search.text.contains("&lt;b&gt;<b>福华路</b>&lt;/b&gt;"),
        "{}",
        search.text
    );
    assert!(!search.text.contains("<i>"), "{}", search.text);
    for path in ["/tenants", "/tenants/futian/incubation"] {
        well_formed(&page(&app, path).await, path);
    }
    // Query text comes back into the search box escaped.
    let echoed = page(&app, "/search?q=%22%3E%3Cscript%3E").await;
    well_formed(&echoed, "search with hostile text");
    assert!(
        echoed.text.contains("value=\"&#34;&#62;&#60;script&#62;\""),
        "{}",
        echoed.text
    );

    // A parameter given twice keeps its first value; nonsense values are ignored.
    let twice = page(
        &app,
        "/search?q=%E5%BC%95%E5%8F%B7&q=x&kind=nothing&year=99999&page=400",
    )
    .await;
    well_formed(&twice, "search with repeated parameters");
    assert!(twice.text.contains(escaped_name), "{}", twice.text);
    assert!(!twice.text.contains("value=\"nothing\""), "{}", twice.text);
    assert!(!twice.text.contains("active-filters"), "{}", twice.text);

    // What does not exist is a page too, with 404.
    for path in [
        "/orgs/51440304MJ0000000X",
        "/disclosures/not-an-id",
        "/tenants/nowhere",
        "/tenants/futian/disclosures/nothing",
        "/no/such/page",
        "/orgs/51440304MJ0000000X/extra",
        "/static/portal.0000.css",
    ] {
        let missing = page(&app, path).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND, "{path}");
        assert!(missing.text.contains("<h1>页面不存在</h1>"), "{path}");
    }
}

async fn pages_revalidate_compress_and_switch_language(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    socorg::demo::load(&app.state, 40).await.unwrap();
    let root = app.platform_admin("root@example.org").await;
    let futian = app
        .get("/api/v1/organisations?tenant=futian&limit=1", None)
        .await;
    let futian = &futian.body["items"][0];
    until_found(
        &app,
        &root,
        futian["name"].as_str().unwrap(),
        futian["uscc"].as_str().unwrap(),
    )
    .await;
    // Newest publication first, whatever order the records were written in (the demo records
    // its 2009 work plan and back-dated notices too); the cursor pages through each once.
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!("/api/v1/disclosures?limit=50{cursor}"), None)
            .await;
        for item in page.body["items"].as_array().unwrap() {
            seen.push((
                chrono::DateTime::parse_from_rfc3339(item["published_at"].as_str().unwrap())
                    .unwrap(),
                item["id"].as_str().unwrap().to_owned(),
            ));
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert!(seen.len() > 50, "{}", seen.len());
    let unordered: Vec<_> = seen
        .windows(2)
        .enumerate()
        .filter(|(_, pair)| pair[0].0 < pair[1].0)
        .map(|(index, _)| index)
        .collect();
    assert!(unordered.is_empty(), "{unordered:?}: {seen:?}");
    let distinct: std::collections::HashSet<&String> = seen.iter().map(|(_, id)| id).collect();
    assert_eq!(distinct.len(), seen.len());
    assert!(
        seen.last().unwrap().0.format("%Y").to_string() == "2009",
        "the seed of 2009 comes last"
    );
    let notices = app.get("/api/v1/disclosures?limit=1", None).await;
    let notice: &Value = &notices.body["items"][0];
    let path = format!("/disclosures/{}", notice["id"].as_str().unwrap());

    let first = page(&app, &path).await;
    well_formed(&first, &path);
    let etag = first.headers[header::ETAG].to_str().unwrap().to_owned();
    let modified = first.headers[header::LAST_MODIFIED]
        .to_str()
        .unwrap()
        .to_owned();
    let published =
        chrono::DateTime::parse_from_rfc3339(notice["published_at"].as_str().unwrap()).unwrap();
    // Never before the record itself (nor before this server started: a new release renders anew).
    assert!(
        chrono::DateTime::parse_from_rfc2822(&modified).unwrap()
            >= published.with_nanosecond(0).unwrap()
    );
    let again = page_with(&app, &path, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.text.is_empty());
    assert_eq!(again.headers[header::ETAG], etag.as_str());
    assert!(again.headers.contains_key(header::CACHE_CONTROL));
    assert!(
        again.headers[header::VARY]
            .to_str()
            .unwrap()
            .contains("Cookie")
    );
    assert!(
        first.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .starts_with("public")
    );
    let since = page_with(&app, &path, &[("if-modified-since", &modified)]).await;
    assert_eq!(since.status, StatusCode::NOT_MODIFIED);
    let changed = page_with(&app, &path, &[("if-none-match", "W/\"other\"")]).await;
    assert_eq!(changed.status, StatusCode::OK);

    let zipped = page_with(&app, &path, &[("accept-encoding", "gzip, br")]).await;
    assert_eq!(zipped.headers[header::CONTENT_ENCODING], "gzip");
    assert_eq!(zipped.text, first.text);
    assert!(
        zipped.headers[header::VARY]
            .to_str()
            .unwrap()
            .contains("Accept-Encoding")
    );
    assert!(!first.headers.contains_key(header::CONTENT_ENCODING));
    // The stylesheet is named by its content and cached for good.
    let start = first.text.find("/static/portal.").unwrap();
    let end = start + first.text[start..].find('"').unwrap();
    let stylesheet = &first.text[start..end];
    let styles = page_with(&app, stylesheet, &[("accept-encoding", "gzip")]).await;
    assert_eq!(styles.status, StatusCode::OK);
    assert!(styles.text.contains("html.elderly"));
    assert_eq!(styles.headers[header::CONTENT_ENCODING], "gzip");
    assert!(
        styles.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(styles.headers[header::VARY], "Accept-Encoding");

    // Chinese first; `?lang=en` switches and is remembered in a cookie.
    assert!(first.text.contains("<html lang=\"zh-CN\">"));
    assert!(first.text.contains("索引号"));
    assert!(first.text.contains("hreflang=\"en\""));
    let english = page(&app, &format!("{path}?lang=en")).await;
    assert!(english.text.contains("<html lang=\"en\">"));
    assert!(english.text.contains("Index no."));
    let cookie = english.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("socorg_lang=en;"), "{cookie}");
    // A response that sets a cookie is not for shared caches.
    assert!(!english.headers.contains_key(header::ETAG));
    let remembered = page_with(&app, "/", &[("cookie", "socorg_lang=en")]).await;
    well_formed(&remembered, "home in English");
    assert!(remembered.text.contains("<html lang=\"en\">"));
    assert!(remembered.text.contains("Latest notices"));
    assert_eq!(remembered.headers[header::CONTENT_LANGUAGE], "en");
    // A page chosen by cookie is the reader's own, never for shared caches.
    assert!(
        remembered.headers[header::CACHE_CONTROL]
            .to_str()
            .unwrap()
            .starts_with("private")
    );
    // The site's pages send no CORS headers (the API does).
    let from_elsewhere = page_with(&app, "/", &[("origin", "https://example.org")]).await;
    assert!(
        !from_elsewhere
            .headers
            .contains_key("access-control-allow-origin")
    );
    assert!(
        from_elsewhere.headers[header::VARY]
            .to_str()
            .unwrap()
            .contains("Cookie")
    );
    let back = page_with(&app, "/?lang=zh", &[("cookie", "socorg_lang=en")]).await;
    assert!(back.text.contains("最新公开"));

    // Elderly mode, and the font size of a notice, without script.
    let elderly = page(&app, "/?elderly=on").await;
    assert!(
        elderly
            .text
            .contains("<html lang=\"zh-CN\" class=\"elderly\">"),
        "{}",
        elderly.text
    );
    assert!(elderly.text.contains("退出长者模式"));
    let large = page(&app, &format!("{path}?font=l")).await;
    assert!(large.text.contains("font-l"));

    // The home page counts the register by district and type (from the index, which may still
    // be taking in the demo).
    let deadline = Instant::now() + Duration::from_secs(20);
    let home = loop {
        let home = page(&app, "/").await;
        well_formed(&home, "home");
        if home.text.contains("href=\"/tenants/futian\"") || Instant::now() > deadline {
            break home;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        home.text.contains("href=\"/tenants/futian\""),
        "{}",
        home.text
    );
    assert!(home.text.contains("社会团体"));
    assert!(home.text.contains("按登记管理机关"));
}

/// The reader's path in headless Chromium, with axe-core on each page (tests/browser/portal.cjs).
#[tokio::test(flavor = "multi_thread")]
async fn a_reader_finds_an_organisation_and_its_notice_in_a_real_browser() {
    let modules = std::env::var("SOCORG_TEST_NODE_MODULES").expect(
        "SOCORG_TEST_NODE_MODULES must name a folder with playwright-core and axe-core \
         (scripts/test installs them)",
    );
    let chromium =
        std::env::var("SOCORG_TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        std::path::Path::new(&chromium).exists(),
        "Chromium is required at {chromium} (scripts/test installs Debian's chromium)"
    );
    let app = TestApp::spawn(Backend::Sqlite).await;
    socorg::demo::load(&app.state, 120).await.unwrap();
    let root = app.platform_admin("root@example.org").await;

    // An organisation of the demo with a notice about it, and two characters of its name that
    // put it on the first page of results.
    let listed = app
        .get(
            "/api/v1/organisations?tenant=futian&status=registered&limit=50",
            None,
        )
        .await;
    let mut chosen = None;
    for organisation in listed.body["items"].as_array().unwrap() {
        let id = organisation["id"].as_str().unwrap();
        let about = app
            .get(
                &format!("/api/v1/disclosures?subject_type=organisation&subject_id={id}&limit=1"),
                None,
            )
            .await;
        if about.body["items"].as_array().unwrap().is_empty() {
            continue;
        }
        let name = organisation["name"].as_str().unwrap().to_owned();
        until_found(&app, &root, &name, organisation["uscc"].as_str().unwrap()).await;
        let characters: Vec<char> = name.chars().collect();
        // After the city and district: the part a reader remembers.
        for pair in characters[6..].windows(2) {
            let query: String = pair.iter().collect();
            let code = organisation["uscc"].as_str().unwrap();
            let found = app
                .get(
                    &format!("/api/v1/search?q={}&limit=20", urlencode(&query)),
                    Some(&root),
                )
                .await;
            if found.text.contains(code) {
                chosen = Some((query, name.clone(), code.to_owned()));
                break;
            }
        }
        if chosen.is_some() {
            break;
        }
    }
    let (query, name, code) = chosen.expect("a demo organisation findable by two characters");

    // And one whose name would run a script if it were ever taken for markup.
    let hostile_code = socorg::types::Uscc::issue('1', "440304", 990)
        .unwrap()
        .to_string();
    let imported = app
        .client
        .post(app.url("/api/v1/tenants/futian/organisations/import"))
        .bearer_auth(&root)
        .header("content-type", "text/csv")
        .body(format!(
            "name,uscc,type,address,legal_representative,service_areas,founded_on,registered_funds_fen,status,status_reason,status_date\n\
             \"<img src=x onerror=alert(1)><script>alert(2)</script>恶意协会\",{hostile_code},social_group,\"<svg onload=alert(3)>\",张三,养老,2010-01-01,100000,registered,,\n"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(imported.status(), StatusCode::OK);
    until_found(&app, &root, "恶意协会", &hostile_code).await;
    // A preliminary evaluation result of the demo, open to objections by a form.
    let notices = app
        .get(
            "/api/v1/disclosures?category=evaluation_publicity&limit=50",
            None,
        )
        .await;
    let mut publicity = None;
    for notice in notices.body["items"].as_array().unwrap() {
        let id = notice["id"].as_str().unwrap();
        if page(&app, &format!("/disclosures/{id}"))
            .await
            .text
            .contains("/objection\"")
        {
            publicity = Some(id.to_owned());
            break;
        }
    }
    let publicity = publicity.expect("a demo result in publicity");

    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/browser/portal.cjs");
    let address = app.address.clone();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script)
            .args([
                &address,
                &query,
                &name,
                &code,
                "futian",
                &hostile_code,
                &publicity,
            ])
            .env("SOCORG_TEST_NODE_MODULES", &modules)
            .env("SOCORG_TEST_CHROMIUM", &chromium)
            .output()
            .expect("run node (Node.js is required for the browser test)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "browser test failed\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("browser test passed"), "{stdout}");
    for step in [
        "home",
        "search results",
        "organisation profile",
        "disclosure",
        "disclosure in English",
        "print view",
        "tenant page",
        "disclosure list",
        "incubating groups",
        "home in elderly mode",
        "zoom",
        "hostile data",
        "evaluation notice with its objection form",
    ] {
        assert!(stdout.contains(&format!("ok {step}:")), "{step}: {stdout}");
    }
}
