//! Atom feeds of disclosures: well-formed Atom 1.0, the newest records of a tenant (and the
//! tenants below it) or of one category, with ids that never change; hostile text stays text.

use quick_xml::{Reader, events::Event};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp};

crate::on_both_databases!(feeds_are_valid_atom_with_the_newest_records);

/// One entry of a feed, as read back.
#[derive(Debug, Default, PartialEq)]
struct Entry {
    id: String,
    title: String,
    updated: String,
    category: String,
}

/// Parses a feed strictly (any XML error fails the test); its namespace and entries.
fn parse(xml: &str) -> (String, Vec<Entry>) {
    let mut reader = Reader::from_str(xml);
    let mut namespace = String::new();
    let mut entries = Vec::new();
    let mut path: Vec<String> = Vec::new();
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) => {
                let name = String::from_utf8(start.name().as_ref().to_vec()).unwrap();
                if name == "feed" {
                    for attribute in start.attributes() {
                        let attribute = attribute.unwrap();
                        if attribute.key.as_ref() == b"xmlns" {
                            namespace = String::from_utf8(attribute.value.to_vec()).unwrap();
                        }
                    }
                }
                if name == "entry" {
                    entries.push(Entry::default());
                }
                path.push(name);
            }
            Event::Empty(empty)
                if empty.name().as_ref() == b"category"
                    && path.last().map(String::as_str) == Some("entry") =>
            {
                for attribute in empty.attributes() {
                    let attribute = attribute.unwrap();
                    if attribute.key.as_ref() == b"term" {
                        entries.last_mut().unwrap().category =
                            String::from_utf8(attribute.value.to_vec()).unwrap();
                    }
                }
            }
            // Text comes in pieces, with entity references between them.
            event @ (Event::Text(_) | Event::GeneralRef(_)) => {
                let text = match event {
                    Event::Text(text) => text.decode().unwrap().into_owned(),
                    Event::GeneralRef(reference) => match reference.resolve_char_ref().unwrap() {
                        Some(character) => character.to_string(),
                        None => {
                            let name = reference.decode().unwrap().into_owned();
                            quick_xml::escape::resolve_predefined_entity(&name)
                                .expect("only the predefined entities")
                                .to_owned()
                        }
                    },
                    _ => unreachable!("matched above"),
                };
                if path.len() == 3 && path[1] == "entry" {
                    let entry = entries.last_mut().unwrap();
                    match path[2].as_str() {
                        "id" => entry.id.push_str(&text),
                        "title" => entry.title.push_str(&text),
                        "updated" => entry.updated.push_str(&text),
                        _ => {}
                    }
                }
            }
            Event::End(_) => {
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert!(path.is_empty(), "every element closed");
    (namespace, entries)
}

async fn feeds_are_valid_atom_with_the_newest_records(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    socorg::demo::load(&app.state, 60).await.unwrap();
    let root = app.platform_admin("root@example.org").await;
    let hostile = app
        .post(
            "/api/v1/tenants/futian/disclosures",
            Some(&root),
            json!({
                "title": "<script>alert(1)</script> & 公告",
                "body": "正文 <b>粗体</b> & \"引号\"",
            }),
        )
        .await;
    assert_eq!(hostile.status, StatusCode::CREATED, "{}", hostile.text);

    let feed = app.get("/feeds/tenants/futian.atom", None).await;
    assert_eq!(feed.status, StatusCode::OK);
    assert!(feed.content_type().starts_with("application/atom+xml"));
    assert!(!feed.text.contains("<script>"), "{}", feed.text);
    let (namespace, entries) = parse(&feed.text);
    assert_eq!(namespace, "http://www.w3.org/2005/Atom");
    // The same records as the API's list, newest first.
    let listed = app
        .get("/api/v1/disclosures?tenant=futian&limit=50", None)
        .await;
    let expected: Vec<String> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| format!("urn:uuid:{}", item["id"].as_str().unwrap()))
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(
        entries
            .iter()
            .map(|entry| entry.id.clone())
            .collect::<Vec<_>>(),
        expected
    );
    assert!(
        entries[0]
            .title
            .starts_with("<script>alert(1)</script> & 公告"),
        "{:?}",
        entries[0]
    );
    for entry in &entries {
        assert!(
            chrono::DateTime::parse_from_rfc3339(&entry.updated).is_ok(),
            "{entry:?}"
        );
        assert!(!entry.category.is_empty());
    }
    // Ids and contents do not change between requests.
    assert_eq!(
        parse(&app.get("/feeds/tenants/futian.atom", None).await.text).1,
        entries
    );

    // One category; the city's feed includes its districts.
    let registrations = app
        .get("/feeds/tenants/futian/registration.atom", None)
        .await;
    let (_, registered) = parse(&registrations.text);
    assert!(!registered.is_empty());
    assert!(
        registered
            .iter()
            .all(|entry| entry.category == "registration")
    );
    let city = parse(&app.get("/feeds/tenants/shenzhen.atom", None).await.text).1;
    assert!(city.iter().any(|entry| entry.id == entries[0].id));
    let everything = parse(&app.get("/feeds/disclosures.atom", None).await.text).1;
    assert_eq!(everything.len(), 50);

    for missing in [
        "/feeds/tenants/nowhere.atom",
        "/feeds/tenants/futian/gossip.atom",
        "/feeds/tenants/futian",
    ] {
        app.get(missing, None)
            .await
            .assert_problem(StatusCode::NOT_FOUND, "not_found");
    }
}
