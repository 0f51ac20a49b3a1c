//! Relevance on a fixed corpus: the expected organisation is near the top for its full name, a
//! two-character part of it, its pinyin, its initials, its code, a traditional spelling and an
//! abbreviation; filters and facet counts are exact; no input makes a query fail.

#![allow(clippy::unwrap_used, reason = "a failing unwrap is a failing test")]

use chrono::{TimeZone, Utc};
use search_index::{Kind, SearchDocument, SearchIndex, SearchQuery, Sort};

fn organisation(
    id: &str,
    name: &str,
    tenant: &str,
    kind: &str,
    areas: &[&str],
    uscc: &str,
    status: &str,
) -> SearchDocument {
    SearchDocument {
        kind: Some(Kind::Organisation),
        id: id.to_owned(),
        tenant: tenant.to_owned(),
        tenant_path: vec![tenant.to_owned(), "shenzhen".to_owned()],
        title: name.to_owned(),
        body: format!("{name}，业务范围：{}。", areas.join("、")),
        uscc: Some(uscc.to_owned()),
        org_type: Some(kind.to_owned()),
        status: Some(status.to_owned()),
        grade: None,
        service_areas: areas.iter().map(|area| (*area).to_owned()).collect(),
        category: None,
        published: Some(Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap()),
        url: format!("/orgs/{uscc}"),
        year: None,
    }
}

fn corpus() -> SearchIndex {
    let index = SearchIndex::in_memory().unwrap();
    let documents = vec![
        organisation(
            "elder",
            "深圳市福田区长者关爱服务中心",
            "futian",
            "social_service_organisation",
            &["养老服务"],
            "52440304MJ0000018N",
            "registered",
        ),
        organisation(
            "elder-club",
            "深圳市罗湖区长者俱乐部",
            "luohu",
            "social_group",
            &["养老服务"],
            "51440303MJ0000013X",
            "registered",
        ),
        organisation(
            "youth",
            "深圳市福田区青少年发展促进会",
            "futian",
            "social_group",
            &["青少年服务"],
            "51440304MJ0000021D",
            "registered",
        ),
        organisation(
            "social-work",
            "深圳市福田区社会工作服务中心",
            "futian",
            "social_service_organisation",
            &["社会工作"],
            "52440304MJ0000034A",
            "abnormal",
        ),
        organisation(
            "calligraphy",
            "深圳市南山区书法协会",
            "nanshan",
            "social_group",
            &["文化"],
            "51440305MJ0000044C",
            "registered",
        ),
        organisation(
            "ox",
            "深圳市宝安区牛栏前进都社区服务中心",
            "baoan",
            "social_service_organisation",
            &["社区服务"],
            "52440306MJ0000058D",
            "registered",
        ),
        organisation(
            "foundation",
            "深圳市长者关爱基金会",
            "shenzhen",
            "foundation",
            &["养老服务", "慈善救助"],
            "53440300MJ0000061E",
            "registered",
        ),
        SearchDocument {
            kind: Some(Kind::Disclosure),
            id: "notice".to_owned(),
            tenant: "futian".to_owned(),
            tenant_path: vec!["futian".to_owned(), "shenzhen".to_owned()],
            title: "关于准予深圳市福田区长者关爱服务中心成立登记的公告".to_owned(),
            body: "经审核，准予深圳市福田区长者关爱服务中心成立登记。".to_owned(),
            category: Some("registration".to_owned()),
            published: Some(Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).unwrap()),
            url: "/disclosures/notice".to_owned(),
            ..SearchDocument::default()
        },
    ];
    index.upsert(&documents).unwrap();
    index.commit().unwrap();
    index
}

fn ids(index: &SearchIndex, query: SearchQuery) -> Vec<String> {
    index
        .search(&SearchQuery { limit: 10, ..query })
        .unwrap()
        .hits
        .into_iter()
        .map(|hit| hit.id)
        .collect()
}

fn text(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.to_owned(),
        kinds: vec![Kind::Organisation],
        ..SearchQuery::default()
    }
}

#[track_caller]
fn in_top(results: &[String], id: &str, top: usize) {
    let position = results.iter().position(|found| found == id);
    assert!(
        position.is_some_and(|position| position < top),
        "{id} not in the top {top}: {results:?}"
    );
}

#[test]
fn the_expected_organisation_ranks_first_or_near() {
    let index = corpus();
    in_top(
        &ids(&index, text("深圳市福田区长者关爱服务中心")),
        "elder",
        1,
    );
    in_top(&ids(&index, text("福田区长者")), "elder", 1);
    let two = ids(
        &index,
        SearchQuery {
            service_area: Some("养老服务".into()),
            ..text("长者")
        },
    );
    in_top(&two, "elder", 3);
    assert!(
        !two.contains(&"youth".to_owned()),
        "filters are exact: {two:?}"
    );
    in_top(&ids(&index, text("关爱")), "elder", 3);
    in_top(&ids(&index, text("者关")), "elder", 3);
    in_top(&ids(&index, text("52440304MJ0000018N")), "elder", 1);
    in_top(&ids(&index, text("52440304mj0000018n")), "elder", 1);
    in_top(&ids(&index, text("福田區長者關愛")), "elder", 3);
    in_top(&ids(&index, text("ｎｉｕ　ＬＡＮ")), "ox", 1);
    in_top(&ids(&index, text("niu lan qian jin du")), "ox", 1);
    in_top(&ids(&index, text("du jin qian lan niu")), "ox", 1);
    in_top(&ids(&index, text("szsftq")), "elder", 3);
    in_top(&ids(&index, text("ftqczga")), "elder", 3);
    in_top(&ids(&index, text("福田社工")), "social-work", 3);
    in_top(&ids(&index, text("社会工作")), "social-work", 1);
}

#[test]
fn every_term_of_a_query_must_be_found() {
    let index = corpus();
    let results = ids(&index, text("福田 长者"));
    assert_eq!(
        results.first().map(String::as_str),
        Some("elder"),
        "{results:?}"
    );
    assert!(
        !results.contains(&"elder-club".to_owned()),
        "罗湖's club has 长者 but not 福田: {results:?}"
    );
    assert!(!results.contains(&"youth".to_owned()), "{results:?}");
    let abbreviated = ids(&index, text("社工 福田"));
    assert_eq!(
        abbreviated.first().map(String::as_str),
        Some("social-work"),
        "synonyms apply per term: {abbreviated:?}"
    );
}

#[test]
fn exact_name_beats_a_longer_name_that_contains_it() {
    let index = corpus();
    let results = ids(&index, text("深圳市长者关爱基金会"));
    assert_eq!(
        results.first().map(String::as_str),
        Some("foundation"),
        "{results:?}"
    );
}

#[test]
fn filters_and_facets_are_exact() {
    let index = corpus();
    let all = index
        .search(&SearchQuery {
            limit: 50,
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(all.total, 8);
    assert_eq!(all.facets["kind"]["organisation"], 7);
    assert_eq!(all.facets["kind"]["disclosure"], 1);
    let futian = index
        .search(&SearchQuery {
            tenant: Some("futian".into()),
            kinds: vec![Kind::Organisation],
            limit: 50,
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(futian.total, 3);
    assert_eq!(futian.facets["status"]["abnormal"], 1);
    assert_eq!(futian.facets["org_type"]["social_service_organisation"], 2);
    let city = index
        .search(&SearchQuery {
            tenant: Some("shenzhen".into()),
            kinds: vec![Kind::Organisation],
            limit: 50,
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(city.total, 7, "a parent tenant includes its children");
    let newest = index
        .search(&SearchQuery {
            sort: Sort::Date,
            limit: 1,
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(newest.hits[0].id, "notice");
}

#[test]
fn snippets_highlight_and_escape() {
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&[SearchDocument {
            kind: Some(Kind::Disclosure),
            id: "x".into(),
            tenant: "futian".into(),
            title: "公告".into(),
            body: "<script>alert(1)</script> 长者关爱服务".into(),
            ..SearchDocument::default()
        }])
        .unwrap();
    index.commit().unwrap();
    let hit = &index
        .search(&SearchQuery {
            text: "长者".into(),
            limit: 5,
            ..SearchQuery::default()
        })
        .unwrap()
        .hits[0];
    assert!(hit.snippet.contains("<b>"), "{}", hit.snippet);
    assert!(!hit.snippet.contains("<script>"), "{}", hit.snippet);
}

#[test]
fn snippets_show_the_text_as_written() {
    let index = SearchIndex::in_memory().unwrap();
    index
        .upsert(&[SearchDocument {
            kind: Some(Kind::Disclosure),
            id: "x".into(),
            tenant: "futian".into(),
            title: "公告".into(),
            body: "本會為ABC長者提供服務。".into(),
            ..SearchDocument::default()
        }])
        .unwrap();
    index.commit().unwrap();
    let found = index
        .search(&SearchQuery {
            text: "长者".into(),
            limit: 5,
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(found.hits[0].snippet, "本會為ABC<b>長者</b>提供服務。");
}

#[test]
fn traditional_spellings_and_abbreviations_of_names_are_found() {
    let index = SearchIndex::in_memory().unwrap();
    let documents = vec![
        organisation(
            "charity",
            "深圳市慈善总会",
            "shenzhen",
            "social_group",
            &["慈善救助"],
            "51440300MJ0000071A",
            "registered",
        ),
        organisation(
            "women",
            "深圳市福田区妇女联合会",
            "futian",
            "social_group",
            &["妇女儿童"],
            "51440304MJ0000081B",
            "registered",
        ),
        organisation(
            "non-enterprise",
            "深圳市福田区社会服务机构联合会",
            "futian",
            "social_group",
            &["行业服务"],
            "51440304MJ0000091C",
            "registered",
        ),
        organisation(
            "elder",
            "深圳市福田区长者关爱服务中心",
            "futian",
            "social_service_organisation",
            &["养老服务"],
            "52440304MJ0000018N",
            "registered",
        ),
    ];
    index.upsert(&documents).unwrap();
    index.commit().unwrap();
    in_top(&ids(&index, text("慈善總會")), "charity", 1);
    in_top(&ids(&index, text("慈善会")), "charity", 1);
    in_top(&ids(&index, text("福田婦女聯合會")), "women", 1);
    in_top(&ids(&index, text("妇联")), "women", 1);
    in_top(&ids(&index, text("民非")), "non-enterprise", 1);
    assert!(!ids(&index, text("婦聯")).contains(&"elder".to_owned()));
}

#[test]
fn no_input_fails_a_query() {
    let index = corpus();
    let long = "长".repeat(10_000);
    for input in [
        "- *",
        "\"",
        "\"unbalanced",
        "AND OR NOT",
        "field:value",
        "((",
        "*",
        "",
        "   ",
        "\u{0}",
        &long,
        "😀😀",
        "a:b:c~2^3",
    ] {
        let results = index.search(&text(input));
        assert!(results.is_ok(), "{input:?}: {results:?}");
    }
}

#[test]
fn dates_and_deep_pages_are_safe() {
    let index = corpus();
    let since = index
        .search(&SearchQuery {
            published_from: Some(Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()),
            limit: 10,
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(since.total, 1, "only the 2026 notice; an open upper end");
    let until = index
        .search(&SearchQuery {
            published_to: Some(Utc.with_ymd_and_hms(2021, 1, 1, 0, 0, 0).unwrap()),
            limit: 10,
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(until.total, 7);
    let far = index
        .search(&SearchQuery {
            published_from: Some(chrono::DateTime::<Utc>::MAX_UTC),
            limit: 10,
            ..SearchQuery::default()
        })
        .unwrap();
    assert_eq!(far.total, 0);
    assert!(
        index
            .search(&SearchQuery {
                offset: usize::MAX,
                limit: 10,
                ..SearchQuery::default()
            })
            .is_err()
    );
    let punctuated = ids(&index, text("长者 - *"));
    assert!(punctuated.contains(&"elder".to_owned()), "{punctuated:?}");
}

#[test]
fn removed_documents_disappear() {
    let index = corpus();
    index.remove(Kind::Organisation, "elder").unwrap();
    index.commit().unwrap();
    assert!(!ids(&index, text("深圳市福田区长者关爱服务中心")).contains(&"elder".to_owned()));
}

/// An organisation whose description says more than its name.
fn described(id: &str, name: &str, description: &str) -> SearchDocument {
    SearchDocument {
        body: description.to_owned(),
        ..organisation(
            id,
            name,
            "futian",
            "social_group",
            &["其他"],
            "",
            "registered",
        )
    }
}

/// Indexes the documents with noise around them, so that term statistics are not all alike.
fn index_with_noise(index: &SearchIndex, mut documents: Vec<SearchDocument>) {
    for number in 0..40 {
        documents.push(described(
            &format!("noise-{number}"),
            &format!("深圳市第{number}青少年服务协会"),
            "青少年活动。",
        ));
    }
    index.upsert(&documents).unwrap();
    index.commit().unwrap();
}

#[test]
fn a_name_prefix_beats_name_words_which_beat_the_description() {
    let index = SearchIndex::in_memory().unwrap();
    let documents = vec![
        described("words", "爱心长者互助服务站", "社区互助。"),
        described(
            "description",
            "深圳市福田区邻里协会",
            "为辖区长者服务，开展探访。",
        ),
        described("prefix", "长者服务促进会", "促进长者福利。"),
    ];
    index_with_noise(&index, documents);
    let found = ids(&index, text("长者服务"));
    assert_eq!(found[..3], ["prefix", "words", "description"], "{found:?}");
    // Common words of names rank what is found without widening it: the noise does not match.
    assert_eq!(found.len(), 3, "{found:?}");
    // Ties keep one order between calls.
    assert_eq!(ids(&index, text("长者服务")), found);
}

#[test]
fn pinyin_counts_per_term_among_chinese_terms() {
    let index = corpus();
    // Chinese and pinyin mixed: each term is found, the pinyin one in the name's readings.
    let found = ids(&index, text("福田 zhang zhe"));
    in_top(&found, "elder", 1);
    assert!(!found.contains(&"elder-club".to_owned()), "{found:?}");
}

#[test]
fn a_long_phrase_in_a_description_stays_below_its_words_in_a_name() {
    let index = SearchIndex::in_memory().unwrap();
    let mut documents = vec![
        described(
            "name",
            "深圳市共享共建营造社区可持续发展服务中心",
            "服务居民。",
        ),
        described(
            "description",
            "深圳市福田区邻里协会",
            "社区营造可持续发展共建共享计划：社区营造可持续发展共建共享，社区营造可持续发展共建共享。",
        ),
    ];
    // Many other documents: rare terms have a high idf, the case where BM25 runs high.
    for number in 0..2000 {
        documents.push(described(
            &format!("noise-{number}"),
            &format!("深圳市第{number}文化协会"),
            "组织开展文化活动、艺术培训、读书分享、书法展览、戏曲演出、民俗节庆与非遗传承等公益项目。",
        ));
    }
    index.upsert(&documents).unwrap();
    index.commit().unwrap();
    let found = ids(&index, text("社区营造可持续发展共建共享"));
    assert_eq!(found, ["name", "description"], "{found:?}");
}

#[test]
fn an_organisation_goes_before_the_notices_about_it() {
    let index = SearchIndex::in_memory().unwrap();
    let name = "深圳市福田区围棋协会";
    let mut documents = vec![described("club", name, "推广围棋。")];
    for (number, title) in ["成立登记", "变更登记", "年度报告"].iter().enumerate() {
        documents.push(SearchDocument {
            kind: Some(Kind::Disclosure),
            id: format!("notice-{number}"),
            title: format!("关于{name}{title}的公告"),
            body: format!("{name}于2026年办理{title}。{name}的住所不变。"),
            uscc: None,
            org_type: None,
            status: None,
            service_areas: Vec::new(),
            category: Some("change".to_owned()),
            url: format!("/disclosures/notice-{number}"),
            ..described("", name, "")
        });
    }
    index.upsert(&documents).unwrap();
    index.commit().unwrap();
    for query in ["围棋", "福田 围棋", name] {
        let every_kind = SearchQuery {
            kinds: Vec::new(),
            ..text(query)
        };
        let found = ids(&index, every_kind);
        assert_eq!(found.len(), 4, "{query}: {found:?}");
        assert_eq!(found[0], "club", "{query}: {found:?}");
    }
}

fn notice(id: &str, title: &str) -> SearchDocument {
    SearchDocument {
        kind: Some(Kind::Disclosure),
        id: id.to_owned(),
        tenant: "futian".to_owned(),
        tenant_path: vec!["futian".to_owned(), "shenzhen".to_owned()],
        title: title.to_owned(),
        body: format!("{title}。"),
        category: Some("change".to_owned()),
        url: format!("/disclosures/{id}"),
        ..SearchDocument::default()
    }
}

/// For a search of `kinds`: the total and the hits of each kind (which the kind facet counts
/// alike).
fn by_kind(index: &SearchIndex, kinds: &[Kind]) -> (usize, usize, usize) {
    let found = index
        .search(&SearchQuery {
            kinds: kinds.to_vec(),
            limit: 50,
            ..text("长者")
        })
        .unwrap();
    let of = |kind: &str| found.hits.iter().filter(|hit| hit.kind == kind).count();
    assert_eq!(found.hits.len(), found.total);
    for kind in ["organisation", "disclosure"] {
        let counted = found.facets["kind"].get(kind).copied().unwrap_or(0);
        assert_eq!(counted as usize, of(kind), "{kinds:?}: {kind}");
    }
    (found.total, of("organisation"), of("disclosure"))
}

#[test]
fn kinds_are_exact_in_every_segment_and_after_compaction() {
    let index = SearchIndex::in_memory().unwrap();
    // A segment of organisations only, one of notices only, and one of both.
    index
        .upsert(&[
            described("a", "深圳市福田区长者协会", "关爱长者。"),
            described("b", "深圳市罗湖区长者服务中心", "长者服务。"),
            described("c", "深圳市南山区长者书画会", "书画。"),
        ])
        .unwrap();
    index.commit().unwrap();
    index
        .upsert(&[
            notice("n1", "长者协会成立公告"),
            notice("n2", "长者服务中心变更公告"),
        ])
        .unwrap();
    index.commit().unwrap();
    index
        .upsert(&[
            described("d", "深圳市宝安区长者义工队", "陪伴长者。"),
            notice("n3", "长者义工队年报"),
            described("e", "深圳市宝安区青少年协会", "青少年。"),
        ])
        .unwrap();
    index.commit().unwrap();
    assert!(index.segments() > 1, "{} segments", index.segments());
    let expected = [
        (vec![Kind::Organisation], (4, 4, 0)),
        (vec![Kind::Disclosure], (3, 0, 3)),
        (vec![Kind::Organisation, Kind::Disclosure], (7, 4, 3)),
        (Vec::new(), (7, 4, 3)),
        (vec![Kind::Tender], (0, 0, 0)),
    ];
    let check = |when: &str| {
        for (kinds, counts) in &expected {
            assert_eq!(by_kind(&index, kinds), *counts, "{when}: {kinds:?}");
        }
        // Organisations first, then the notices, whatever the segment.
        let every = ids(
            &index,
            SearchQuery {
                kinds: Vec::new(),
                ..text("长者")
            },
        );
        assert!(
            every[..4].iter().all(|id| id.len() == 1),
            "{when}: {every:?}"
        );
    };
    check("before compaction");
    index.compact().unwrap();
    assert_eq!(index.segments(), 1);
    check("after compaction");
    // The writer goes on after compaction.
    index.remove(Kind::Disclosure, "n3").unwrap();
    index.upsert(&[notice("n4", "长者日公告")]).unwrap();
    index.commit().unwrap();
    check("after a change");
    let notices = ids(
        &index,
        SearchQuery {
            kinds: vec![Kind::Disclosure],
            ..text("长者")
        },
    );
    assert!(notices.contains(&"n4".to_owned()) && !notices.contains(&"n3".to_owned()));
    // Changes given to the writer but not yet committed survive a compaction (the tailer may
    // be between a removal and its commit when one starts).
    index.remove(Kind::Organisation, "a").unwrap();
    index
        .upsert(&[described("f", "深圳市光明区长者协会", "长者。")])
        .unwrap();
    index.compact().unwrap();
    index.commit().unwrap();
    let organisations = ids(&index, text("长者"));
    assert!(
        organisations.contains(&"f".to_owned()) && !organisations.contains(&"a".to_owned()),
        "{organisations:?}"
    );
}

/// Phrases are checked with 4-grams: a name or description that holds each gram of the text,
/// but not the text in a row, matches only as words, below the ones that hold it as written,
/// though its shorter name would go first on a tie.
#[test]
fn a_phrase_matches_only_its_characters_in_a_row() {
    let index = SearchIndex::in_memory().unwrap();
    let documents = vec![
        described("in-a-row", "深圳市长者关爱服务中心", "服务长者。"),
        described("apart", "长者关爱会关爱服务", "服务长者。"),
        described(
            "body-in-a-row",
            "深圳市南山区邻里协会",
            "开展长者关爱服务活动。",
        ),
        described("body-apart", "南山邻里会", "长者关爱会，关爱服务。"),
    ];
    index_with_noise(&index, documents);
    let found = ids(&index, text("长者关爱服务"));
    assert_eq!(
        found,
        ["in-a-row", "apart", "body-in-a-row", "body-apart"],
        "{found:?}"
    );
    // Five characters: two grams that overlap by three. Its words ("者" alone) are not those
    // of the names apart, so only the texts in a row match.
    let found = ids(&index, text("者关爱服务"));
    assert_eq!(found, ["in-a-row", "body-in-a-row"], "{found:?}");
}

/// Every match's facet values, totals and page positions come from values decoded per segment:
/// across segments with replaced and removed documents, many equal scores and deep offsets, the
/// pages put together are the whole order, and the counts are those of the documents found.
#[test]
fn pages_totals_and_facets_agree_with_every_match_in_every_segment() {
    let index = SearchIndex::in_memory().unwrap();
    let tenants = ["futian", "luohu", "nanshan"];
    let areas = ["养老服务", "社区服务", "助残服务", "青少年服务"];
    let document = |number: usize, round: usize| {
        // Names of one shape score alike: the tie order decides among them.
        let mut document = organisation(
            &format!("o{number}"),
            &format!("深圳市第{number}长者协会"),
            tenants[number % 3],
            if number.is_multiple_of(4) {
                "foundation"
            } else {
                "social_group"
            },
            &[areas[number % 4], areas[(number + round) % 4]],
            &format!("51440300MJ{number:08}"),
            "registered",
        );
        document.published = (!number.is_multiple_of(5)).then(|| {
            Utc.with_ymd_and_hms(2020, 1, 1, 0, 0, 0).unwrap()
                + chrono::Duration::days(number as i64 % 7)
        });
        document
    };
    let mut current: std::collections::BTreeMap<String, SearchDocument> = Default::default();
    for round in 0..3 {
        let batch: Vec<SearchDocument> = (round * 20..round * 20 + 30)
            .map(|number| document(number, round))
            .collect();
        index.upsert(&batch).unwrap();
        for document in batch {
            current.insert(document.id.clone(), document);
        }
        index.commit().unwrap();
    }
    for gone in ["o3", "o41", "o69"] {
        index.remove(Kind::Organisation, gone).unwrap();
        current.remove(gone);
    }
    index.commit().unwrap();
    assert!(index.segments() > 1, "{} segments", index.segments());

    for sort in [Sort::Relevance, Sort::Date] {
        let query = SearchQuery {
            sort,
            limit: 200,
            ..text("长者协会")
        };
        let whole = index.search(&query).unwrap();
        assert_eq!(whole.total, current.len(), "{sort:?}");
        let order: Vec<String> = whole.hits.iter().map(|hit| hit.id.clone()).collect();
        let mut unique = order.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(
            unique,
            current.keys().cloned().collect::<Vec<_>>(),
            "{sort:?}"
        );
        // Equal scores (or dates) go by the tie order: shorter names first, then a hash.
        let tie = |id: &str| {
            search_index::schema::tie_order(
                &search_index::analysis::fold(&current[id].title),
                &format!("organisation:{id}"),
            )
        };
        for pair in whole.hits.windows(2) {
            let equal = match sort {
                Sort::Relevance => pair[0].score == pair[1].score,
                Sort::Date => current[&pair[0].id].published == current[&pair[1].id].published,
            };
            if equal {
                assert!(
                    tie(&pair[0].id) < tie(&pair[1].id),
                    "{sort:?}: {} before {}",
                    pair[0].id,
                    pair[1].id
                );
            }
        }
        let ties = whole
            .hits
            .windows(2)
            .filter(|pair| pair[0].score == pair[1].score)
            .count();
        if sort == Sort::Relevance {
            assert!(
                ties > 10,
                "only {ties} equal scores: the test shows no tie order"
            );
        }
        if sort == Sort::Date {
            let dates: Vec<_> = order.iter().map(|id| current[id].published).collect();
            let mut newest_first = dates.clone();
            // Newest first, undated last.
            newest_first.sort_by(|one, other| other.cmp(one));
            assert_eq!(dates, newest_first);
        }
        let mut paged = Vec::new();
        for offset in (0..current.len() + 7).step_by(7) {
            let page = index
                .search(&SearchQuery {
                    offset,
                    limit: 7,
                    ..query.clone()
                })
                .unwrap();
            assert_eq!(page.total, current.len());
            paged.extend(page.hits.into_iter().map(|hit| hit.id));
        }
        assert_eq!(paged, order, "{sort:?}");

        let mut expected: std::collections::BTreeMap<
            &str,
            std::collections::BTreeMap<String, u64>,
        > = Default::default();
        for document in current.values() {
            let mut count = |facet: &'static str, value: &str| {
                *expected
                    .entry(facet)
                    .or_default()
                    .entry(value.to_owned())
                    .or_default() += 1;
            };
            count("tenant", &document.tenant);
            count("org_type", document.org_type.as_deref().unwrap());
            count("status", document.status.as_deref().unwrap());
            let mut own = document.service_areas.clone();
            own.dedup();
            for area in &own {
                count("service_area", area);
            }
            if let Some(published) = document.published {
                count("year", &published.format("%Y").to_string());
            }
        }
        for facet in ["tenant", "org_type", "status", "service_area", "year"] {
            assert_eq!(whole.facets[facet], expected[facet], "{sort:?}: {facet}");
        }
        assert_eq!(whole.facets["kind"]["organisation"] as usize, current.len());
    }
}

/// The other name in the index of `a_chinese_name_is_found_by_any_two_characters_of_it`.
const OTHER: &str = "星河青年发展促进会";

fn named(name: &str) -> SearchDocument {
    organisation(
        "1",
        name,
        "futian",
        "social_group",
        &["养老"],
        "51440304MJL000001X",
        "registered",
    )
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]

    /// Whatever an organisation is called and whatever is typed, indexing, committing and
    /// searching succeed.
    #[test]
    fn any_name_is_indexed_and_any_text_searched(name in "\\PC{0,40}", typed in "\\PC{0,40}") {
        let index = SearchIndex::in_memory().unwrap();
        index.upsert(&[named(&name)]).unwrap();
        index.commit().unwrap();
        for input in [&name, &typed] {
            let results = index.search(&text(input));
            proptest::prop_assert!(results.is_ok(), "{input:?}: {results:?}");
        }
    }

    /// A name in Chinese characters is found first by itself, and by any two of its characters
    /// in a row unless the other name holds them too.
    #[test]
    fn a_chinese_name_is_found_by_any_two_characters_of_it(
        name in "[\u{4e00}-\u{9fa5}]{2,12}",
        at in proptest::prelude::any::<proptest::sample::Index>(),
    ) {
        let index = SearchIndex::in_memory().unwrap();
        index.upsert(&[named(&name)]).unwrap();
        let mut other = named(OTHER);
        other.id = "2".to_owned();
        index.upsert(&[other]).unwrap();
        index.commit().unwrap();
        let characters: Vec<char> = name.chars().collect();
        let start = at.index(characters.len() - 1);
        let part: String = characters[start..start + 2].iter().collect();
        let found = ids(&index, text(&name));
        proptest::prop_assert_eq!(found.first().map(String::as_str), Some("1"), "{:?}", name);
        let found = ids(&index, text(&part));
        if OTHER.contains(&part) {
            proptest::prop_assert!(found.contains(&"1".to_owned()), "{:?} in {:?}", part, name);
        } else {
            proptest::prop_assert_eq!(found.first().map(String::as_str), Some("1"), "{:?} in {:?}", part, name);
        }
    }
}
