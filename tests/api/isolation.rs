//! The isolation matrix: every operation of the OpenAPI document, called by principals of another
//! tenant and of another organisation (and by nobody) on the private objects of one organisation
//! and its tenant. What each of them may get is kept as data in `tests/isolation-matrix.txt`; an
//! operation of the document without a row there fails the test, so every new operation gets one.
//!
//! Beside the table, three things hold for every request: no 5xx, no answer that carries a private
//! marker planted in the objects (a charter, a document, a complaint, an objector's contact, a draft
//! registration, a change application), and no change in the database after a request that was
//! refused.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap},
    hash::{DefaultHasher, Hash, Hasher},
};

use entities::user;
use reqwest::{Method, StatusCode};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};
use serde_json::{Map, Value, json};
use socorg::{
    auth::password::NewPassword,
    authz::Role,
    db::{self, Scope},
    demo, users,
};
use uuid::Uuid;

use crate::helpers::{Backend, PASSWORD, TestApp, TestResponse};

crate::on_both_databases!(foreign_principals_get_what_the_isolation_matrix_says);

const MATRIX: &str = include_str!("../isolation-matrix.txt");

/// The principals, in the order of the matrix's columns.
const PRINCIPALS: [&str; 6] = [
    "anonymous",
    "tenant_admin",
    "tenant_officer",
    "tenant_assessor",
    "org_admin",
    "org_member",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    /// 2xx.
    Allowed,
    /// 401: signing in is required.
    SignIn,
    /// 403: the caller may see the object but not do this.
    Forbidden,
    /// 404: the caller may not know that the object exists.
    NotFound,
    /// Another 4xx (400, 409, 422): past the permission checks, refused by a rule.
    Refused,
}

impl Outcome {
    fn parse(word: &str) -> Option<Self> {
        Some(match word {
            "allowed" => Self::Allowed,
            "sign_in" => Self::SignIn,
            "forbidden" => Self::Forbidden,
            "not_found" => Self::NotFound,
            "refused" => Self::Refused,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::SignIn => "sign_in",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Refused => "refused",
        }
    }

    /// `None` for what no request may get: a 5xx, a redirect, an informational answer.
    fn of(status: StatusCode) -> Option<Self> {
        match status.as_u16() {
            200..=299 => Some(Self::Allowed),
            401 => Some(Self::SignIn),
            403 => Some(Self::Forbidden),
            404 => Some(Self::NotFound),
            400..=499 => Some(Self::Refused),
            _ => None,
        }
    }
}

/// One line of the matrix.
struct Row {
    /// `name=object` pairs: the world's object each named parameter or body field is set to.
    objects: Vec<(String, String)>,
    expected: [Outcome; 6],
}

fn parse_matrix(text: &str) -> BTreeMap<String, Row> {
    let mut rows = BTreeMap::new();
    let mut header_seen = false;
    for (number, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        if !header_seen {
            assert_eq!(
                words[2..],
                PRINCIPALS,
                "line {}: the header names the principals in this order",
                number + 1
            );
            header_seen = true;
            continue;
        }
        assert_eq!(
            words.len(),
            2 + PRINCIPALS.len(),
            "line {}: an operation, its objects (or -) and one outcome per principal",
            number + 1
        );
        let objects = if words[1] == "-" {
            Vec::new()
        } else {
            words[1]
                .split(',')
                .map(|pair| {
                    let (name, object) = pair.split_once('=').unwrap_or_else(|| {
                        panic!("line {}: `{pair}` is not name=object", number + 1)
                    });
                    (name.to_owned(), object.to_owned())
                })
                .collect()
        };
        let expected = std::array::from_fn(|index| {
            Outcome::parse(words[2 + index]).unwrap_or_else(|| {
                panic!(
                    "line {}: unknown outcome `{}`",
                    number + 1,
                    words[2 + index]
                )
            })
        });
        let previous = rows.insert(words[0].to_owned(), Row { objects, expected });
        assert!(
            previous.is_none(),
            "line {}: {} twice",
            number + 1,
            words[0]
        );
    }
    rows
}

/// The demo (one organisation "ours" in futian with every kind of private object) plus the
/// foreign principals and a few objects carrying markers.
struct World {
    app: TestApp,
    /// Per principal, its token (none for anonymous).
    tokens: Vec<Option<String>>,
    objects: HashMap<String, String>,
    markers: Vec<String>,
}

async fn login_demo(app: &TestApp, report: &demo::DemoReport, role: &str) -> String {
    let account = report
        .accounts
        .iter()
        .find(|account| account.role == role)
        .unwrap_or_else(|| panic!("the demo has a {role}"));
    app.login(&account.email, &account.password).await
}

/// An account holding `role` in organisation `organisation`, logged in.
async fn organisation_account(
    app: &TestApp,
    organisation: Uuid,
    email: &str,
    role: Role,
) -> String {
    let state = &app.state;
    let now = state.clock.now();
    let hash = state
        .passwords
        .hash(NewPassword::parse(PASSWORD.to_owned(), email).unwrap())
        .await
        .unwrap();
    let transaction = db::begin(&state.db, Scope::Platform).await.unwrap();
    let id = Uuid::now_v7();
    user::Entity::insert(user::ActiveModel {
        id: Set(id),
        email: Set(email.to_owned()),
        name: Set(email.to_owned()),
        password_hash: Set(Some(hash)),
        email_verified_at: Set(Some(now)),
        disabled_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&transaction)
    .await
    .unwrap();
    users::service::grant_organisation_role(&transaction, id, role, organisation, now)
        .await
        .unwrap();
    transaction.commit().await.unwrap();
    app.login(email, PASSWORD).await
}

fn put(objects: &mut HashMap<String, String>, name: &str, value: String) {
    objects.insert(name.to_owned(), value);
}

#[track_caller]
fn created(response: &TestResponse) -> String {
    assert!(
        response.status.is_success(),
        "setting up: {} {}",
        response.status,
        response.text
    );
    response.body["id"].as_str().expect("an id").to_owned()
}

fn items(response: &TestResponse) -> &Vec<Value> {
    response.body["items"].as_array().expect("a list")
}

async fn upload(app: &TestApp, path: &str, token: &str, content: &str) -> TestResponse {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/octet-stream")
        .body(content.to_owned())
        .send()
        .await
        .unwrap();
    TestResponse::read(response).await
}

async fn world(backend: Backend) -> World {
    let app = TestApp::spawn(backend).await;
    let report = demo::load(&app.state, 60).await.unwrap();
    let platform = login_demo(&app, &report, "platform_admin").await;
    let registrar = login_demo(&app, &report, "registry_admin (futian)").await;
    let applicant = login_demo(&app, &report, "org_admin").await;
    let assessor = login_demo(&app, &report, "assessor (futian)").await;
    let mut objects = HashMap::new();
    let mut markers = Vec::new();
    put(&mut objects, "tenant", "futian".to_owned());

    // Another tenant, with a person in each tenant role.
    app.create_tenant(&platform, "guangzhou", "440100", None)
        .await;
    let mut tokens = vec![None];
    for (email, role) in [
        ("gz.registrar@example.org", "registry_admin"),
        ("gz.buyer@example.org", "procurement_officer"),
        ("gz.assessor@example.org", "assessor"),
    ] {
        let (_, token) = app
            .tenant_user(&platform, "guangzhou", email, &[role])
            .await;
        tokens.push(Some(token));
    }

    // Ours: a social service organisation of futian (so that an evaluation campaign is open to
    // it), with an admin and a member; and another organisation of futian whose admin and member
    // are two of the principals. The demo's org admin is ours' applicant for registrations.
    let applicant_me = app.get("/api/v1/me", Some(&applicant)).await;
    let applicants_org = applicant_me.body["grants"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|grant| grant["organisation_id"].as_str())
        .expect("the demo org admin's organisation")
        .to_owned();
    let registered = app
        .get(
            "/api/v1/organisations?tenant=futian&status=registered&limit=200",
            None,
        )
        .await;
    let ours = items(&registered)
        .iter()
        .find(|organisation| {
            organisation["type"] == "social_service_organisation"
                && organisation["id"] != applicants_org.as_str()
        })
        .expect("a social service organisation in futian")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other: Uuid = items(&registered)
        .iter()
        .map(|organisation| organisation["id"].as_str().unwrap())
        .find(|id| *id != ours && *id != applicants_org)
        .expect("another organisation in futian")
        .parse()
        .unwrap();
    tokens.push(Some(
        organisation_account(&app, other, "other.admin@example.org", Role::OrgAdmin).await,
    ));
    tokens.push(Some(
        organisation_account(&app, other, "other.member@example.org", Role::OrgMember).await,
    ));
    let ours_id: Uuid = ours.parse().unwrap();
    let owner = organisation_account(&app, ours_id, "ours.admin@example.org", Role::OrgAdmin).await;
    organisation_account(&app, ours_id, "ours.member@example.org", Role::OrgMember).await;
    let organisation = app
        .get(&format!("/api/v1/organisations/{ours}"), None)
        .await;
    put(&mut objects, "organisation", ours.clone());

    // Registrations: the demo's, and a draft whose name is a marker, with a charter.
    let registrations = app
        .get("/api/v1/registrations?limit=100", Some(&applicant))
        .await;
    let first_in = |status: &str| {
        items(&registrations)
            .iter()
            .find(|registration| {
                registration["status"] == status && registration["organisation_id"].is_null()
            })
            .unwrap_or_else(|| panic!("a {status} registration"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    put(
        &mut objects,
        "submitted_registration",
        first_in("submitted"),
    );
    let draft_name = "深圳市隔离标记草稿协会".to_owned();
    let draft = created(
        &app.post(
            "/api/v1/registrations",
            Some(&applicant),
            json!({ "tenant": "futian", "name": draft_name }),
        )
        .await,
    );
    markers.push(draft_name);
    let charter = "MARKER-CHARTER the draft's charter\n".to_owned();
    created(
        &upload(
            &app,
            &format!("/api/v1/registrations/{draft}/charter?file_name=charter.txt"),
            &applicant,
            &charter,
        )
        .await,
    );
    markers.push(charter.trim().to_owned());
    put(&mut objects, "draft_registration", draft);

    // Documents: a public one of the tenant, private ones of the organisation.
    put(
        &mut objects,
        "public_document",
        created(
            &upload(
                &app,
                "/api/v1/tenants/futian/documents?file_name=notice.txt&visibility=public",
                &registrar,
                "A public notice.\n",
            )
            .await,
        ),
    );
    let private = "MARKER-DOCUMENT a private document\n".to_owned();
    put(
        &mut objects,
        "organisation_document",
        created(
            &upload(
                &app,
                &format!("/api/v1/organisations/{ours}/documents?file_name=plan.txt"),
                &owner,
                &private,
            )
            .await,
        ),
    );
    markers.push(private.trim().to_owned());

    // A change application, a complaint and an objection, each with a marker.
    let reason = "MARKER-CHANGE-REASON".to_owned();
    put(
        &mut objects,
        "change_application",
        created(
            &app.post(
                &format!("/api/v1/organisations/{ours}/changes"),
                Some(&owner),
                json!({
                    "address": format!("{} 新址", organisation.body["address"].as_str().unwrap()),
                    "reason": reason,
                }),
            )
            .await,
        ),
    );
    markers.push(reason);
    let complaint = "MARKER-COMPLAINT filed about ours".to_owned();
    app.post(
        &format!("/api/v1/organisations/{ours}/complaints"),
        None,
        json!({ "text": complaint }),
    )
    .await;
    let complaints = app
        .get(
            "/api/v1/tenants/futian/complaints?limit=200",
            Some(&registrar),
        )
        .await;
    put(
        &mut objects,
        "complaint",
        items(&complaints)
            .iter()
            .find(|item| item["organisation_id"] == ours.as_str())
            .expect("the complaint")["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    markers.push(complaint);

    // Evaluations: the assessor's assignment on an application in publicity, a second assessor
    // on it, an objection to it, and ours' own draft application with materials.
    let assignments = app
        .get("/api/v1/me/evaluation-assignments", Some(&assessor))
        .await;
    let assignment = &items(&assignments)[0];
    let reviewed = assignment["application_id"].as_str().unwrap().to_owned();
    put(
        &mut objects,
        "assignment",
        assignment["id"].as_str().unwrap().to_owned(),
    );
    let panel = app
        .get(
            &format!("/api/v1/evaluation-applications/{reviewed}"),
            Some(&registrar),
        )
        .await;
    let other_assignment = panel.body["assessors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["assignment_id"] != assignment["id"])
        .expect("a second assessor")["assignment_id"]
        .as_str()
        .unwrap()
        .to_owned();
    put(&mut objects, "other_assignment", other_assignment);
    let contact = "marker-objector@example.org".to_owned();
    created(
        &app.post(
            &format!("/api/v1/evaluation-applications/{reviewed}/objections"),
            None,
            json!({ "name": "异议人", "contact": contact, "text": "MARKER-OBJECTION" }),
        )
        .await,
    );
    markers.push(contact);
    markers.push("MARKER-OBJECTION".to_owned());
    put(&mut objects, "reviewed_application", reviewed);
    // Ours' own evaluation application, with material.
    let campaigns = app
        .get("/api/v1/tenants/futian/evaluation-campaigns", None)
        .await;
    let campaign = items(&campaigns)
        .iter()
        .find(|campaign| campaign["org_type"] == "social_service_organisation")
        .expect("a campaign for social service organisations");
    put(
        &mut objects,
        "campaign",
        campaign["id"].as_str().unwrap().to_owned(),
    );
    put(
        &mut objects,
        "rubric",
        campaign["rubric_id"].as_str().unwrap().to_owned(),
    );
    let application = created(
        &app.post(
            &format!(
                "/api/v1/evaluation-campaigns/{}/applications",
                objects["campaign"]
            ),
            Some(&owner),
            json!({ "organisation_id": ours }),
        )
        .await,
    );
    let rubric = app
        .get(&format!("/api/v1/rubrics/{}", objects["rubric"]), None)
        .await;
    let leaf = rubric.body["content"]["indicators"][0]["children"][0]["code"]
        .as_str()
        .expect("a leaf indicator")
        .to_owned();
    put(&mut objects, "leaf", leaf.clone());
    let material = created(
        &app.post(
            &format!("/api/v1/evaluation-applications/{application}/materials"),
            Some(&owner),
            json!({ "leaf_code": leaf, "document_id": objects["organisation_document"] }),
        )
        .await,
    );
    put(&mut objects, "material", material);
    put(&mut objects, "own_application", application);

    // Incubation, people, jobs.
    let incubation = app
        .get("/api/v1/tenants/futian/incubation", Some(&registrar))
        .await;
    put(
        &mut objects,
        "incubation_group",
        items(&incubation)[0]["detail"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    let (tenant_user, _) = app
        .tenant_user(
            &registrar,
            "futian",
            "futian.clerk@example.org",
            &["assessor"],
        )
        .await;
    put(&mut objects, "tenant_user", tenant_user);
    // An existing account (ours' member) invited into futian: an invitation only its owner sees.
    let invited = app
        .post(
            "/api/v1/tenants/futian/users",
            Some(&registrar),
            json!({ "email": "ours.member@example.org", "name": "受邀人", "roles": ["assessor"] }),
        )
        .await;
    assert_eq!(invited.status, StatusCode::CREATED, "{}", invited.text);
    let invitee = app.login("ours.member@example.org", PASSWORD).await;
    let invitations = app.get("/api/v1/me/invitations", Some(&invitee)).await;
    put(
        &mut objects,
        "invitation",
        items(&invitations)[0]["id"].as_str().unwrap().to_owned(),
    );
    let members = app
        .get(
            &format!("/api/v1/organisations/{ours}/members"),
            Some(&owner),
        )
        .await;
    put(
        &mut objects,
        "member",
        items(&members)
            .iter()
            .find(|member| member["role"] == "org_member")
            .expect("a member of ours")["user_id"]
            .as_str()
            .unwrap()
            .to_owned(),
    );
    let jobs = app.get("/api/v1/admin/jobs?limit=1", Some(&platform)).await;
    put(
        &mut objects,
        "job",
        items(&jobs)[0]["id"].as_str().unwrap().to_owned(),
    );
    let disclosures = app
        .get("/api/v1/disclosures?tenant=futian&limit=1", None)
        .await;
    put(
        &mut objects,
        "disclosure",
        items(&disclosures)[0]["id"].as_str().unwrap().to_owned(),
    );

    World {
        app,
        tokens,
        objects,
        markers,
    }
}

/// A minimal value that the schema accepts, without a particular meaning.
fn example(schema: &Value, components: &Value, name: &str) -> Value {
    let resolve = |schema: &Value| -> Value {
        let mut schema = schema.clone();
        loop {
            if let Some(reference) = schema["$ref"].as_str() {
                let name = reference.rsplit('/').next().unwrap();
                schema = components[name].clone();
            } else if let Some(referred) = schema["allOf"]
                .as_array()
                .and_then(|parts| parts.iter().find(|part| part.get("$ref").is_some()))
            {
                schema = referred.clone();
            } else {
                return schema;
            }
        }
    };
    let schema = resolve(schema);
    if let Some(first) = schema["enum"].as_array().and_then(|values| values.first()) {
        return first.clone();
    }
    match schema["type"].as_str().unwrap_or("object") {
        "string" => match (schema["format"].as_str(), name) {
            (Some("date"), _) => json!("2026-06-01"),
            (Some("date-time"), _) => json!("2026-06-01T00:00:00Z"),
            (Some("uuid"), _) => json!(Uuid::now_v7().to_string()),
            (Some("email"), _) | (_, "email" | "contact") => json!("probe@example.org"),
            (_, "file_name") => json!("probe.txt"),
            _ => {
                let min = schema["minLength"].as_u64().unwrap_or(0) as usize;
                let max = schema["maxLength"].as_u64().unwrap_or(64) as usize;
                let text: String = "隔离探针isolationprobe"
                    .chars()
                    .cycle()
                    .take(min.max(8).min(max))
                    .collect();
                json!(text)
            }
        },
        "integer" | "number" => {
            // Bounds are written as numbers with a fraction (`2000.0`).
            let bound = |key: &str, otherwise: i64| {
                schema[key].as_f64().map_or(otherwise, |bound| bound as i64)
            };
            json!(bound("minimum", 1).max(1).min(bound("maximum", i64::MAX)))
        }
        "boolean" => json!(false),
        "array" => {
            let count = schema["minItems"].as_u64().unwrap_or(0) as usize;
            Value::Array(vec![example(&schema["items"], components, name); count])
        }
        _ => {
            let mut object = Map::new();
            for required in schema["required"].as_array().into_iter().flatten() {
                let field = required.as_str().unwrap();
                object.insert(
                    field.to_owned(),
                    example(&schema["properties"][field], components, field),
                );
            }
            Value::Object(object)
        }
    }
}

/// One request for an operation: the path, the query and the body as the matrix row says.
struct Call {
    method: Method,
    path: String,
    body: Option<Body>,
}

enum Body {
    Json(Value),
    Bytes(&'static str),
}

impl Body {
    fn text(&self) -> String {
        match self {
            Self::Json(value) => value.to_string(),
            Self::Bytes(bytes) => (*bytes).to_owned(),
        }
    }
}

/// The objects whose ids no foreign principal may learn from an answer (unless it asked with it).
const PRIVATE_OBJECTS: &[&str] = &[
    "draft_registration",
    "submitted_registration",
    "organisation_document",
    "change_application",
    "complaint",
    "own_application",
    "material",
    "incubation_group",
    "tenant_user",
    "invitation",
    "member",
    "job",
    "assignment",
    "other_assignment",
];

fn call(
    path: &str,
    method: &str,
    operation: &Value,
    row: &Row,
    world: &World,
    components: &Value,
) -> Call {
    let value_of = |object: &str| -> String {
        world
            .objects
            .get(object)
            .unwrap_or_else(|| panic!("the matrix names an unknown object `{object}`"))
            .clone()
    };
    // A value in JSON (a quoted string, a list, a number) is taken as it is; a word names an object.
    let mut bound: BTreeMap<&str, Value> = row
        .objects
        .iter()
        .map(|(name, object)| {
            let value = serde_json::from_str(object).unwrap_or_else(|_| json!(value_of(object)));
            (name.as_str(), value)
        })
        .collect();
    let text = |value: Value| {
        value
            .as_str()
            .map_or_else(|| value.to_string(), str::to_owned)
    };
    let mut path = path.to_owned();
    let mut query = Vec::new();
    for parameter in operation["parameters"].as_array().into_iter().flatten() {
        let name = parameter["name"].as_str().unwrap();
        let value = bound.remove(name);
        match parameter["in"].as_str().unwrap() {
            "path" => {
                let value = value
                    .map(text)
                    .or_else(|| (name == "slug").then(|| value_of("tenant")))
                    .or_else(|| {
                        let schema = &parameter["schema"];
                        example(schema, components, name)
                            .as_str()
                            .map(str::to_owned)
                    })
                    .unwrap_or_else(|| panic!("no value for path parameter {name}"));
                path = path.replace(&format!("{{{name}}}"), &value);
            }
            "query" => {
                if let Some(value) = value {
                    query.push((name.to_owned(), text(value)));
                } else if parameter["required"] == true {
                    let example = example(&parameter["schema"], components, name);
                    let text = example
                        .as_str()
                        .map_or_else(|| example.to_string(), str::to_owned);
                    query.push((name.to_owned(), text));
                }
            }
            _ => {}
        }
    }
    let content = &operation["requestBody"]["content"];
    let body = if content.is_null() {
        None
    } else if let Some(schema) = content
        .as_object()
        .and_then(|types| {
            types
                .iter()
                .find(|(kind, _)| kind.starts_with("application/json"))
        })
        .map(|(_, json)| &json["schema"])
    {
        let mut body = example(schema, components, "");
        for (field, value) in std::mem::take(&mut bound) {
            body[field] = value;
        }
        Some(Body::Json(body))
    } else {
        Some(Body::Bytes("An isolation probe.\n"))
    };
    assert!(
        bound.is_empty(),
        "the matrix binds {:?}, which the operation does not have",
        bound.keys().collect::<Vec<_>>()
    );
    let mut url = format!("/api/v1{path}");
    if !query.is_empty() {
        let encoded: Vec<String> = query
            .iter()
            .map(|(name, value)| format!("{name}={}", urlencode(value)))
            .collect();
        url = format!("{url}?{}", encoded.join("&"));
    }
    Call {
        method: method.to_uppercase().parse().unwrap(),
        path: url,
        body,
    }
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

async fn send(app: &TestApp, call: &Call, token: Option<&str>) -> TestResponse {
    let mut request = app.client.request(call.method.clone(), app.url(&call.path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request = match &call.body {
        Some(Body::Json(body)) => request.json(body),
        Some(Body::Bytes(bytes)) => request
            .header("content-type", "application/octet-stream")
            .body(*bytes),
        None => request,
    };
    TestResponse::read(request.send().await.unwrap()).await
}

/// A digest of every table that a request could change. The audit trail, sessions, the login
/// throttle and the search index's change feed are left out: a refused request may leave an
/// audit event or a throttle count, and the indexer drains its feed on its own.
async fn fingerprint(db: &DatabaseConnection) -> u64 {
    let mut hasher = DefaultHasher::new();
    macro_rules! tables {
        ($($table:ident),* $(,)?) => {
            $(
                let mut rows: Vec<String> = entities::$table::Entity::find()
                    .all(db)
                    .await
                    .unwrap()
                    .iter()
                    .map(|row| format!("{row:?}"))
                    .collect();
                rows.sort();
                stringify!($table).hash(&mut hasher);
                rows.hash(&mut hasher);
            )*
        };
    }
    tables!(
        account_token,
        annual_report,
        complaint,
        counter,
        disclosure,
        document,
        evaluation_application,
        evaluation_assignment,
        evaluation_campaign,
        evaluation_material,
        evaluation_objection,
        grant,
        incubation_group,
        incubation_report,
        job,
        organisation,
        organisation_application,
        organisation_event,
        organisation_grade,
        registration_application,
        registry_setting,
        rubric,
        serious_violation_flag,
        tenant,
        user,
    );
    hasher.finish()
}

async fn foreign_principals_get_what_the_isolation_matrix_says(backend: Backend) {
    let matrix = parse_matrix(MATRIX);
    let world = world(backend).await;
    let app = &world.app;
    let spec = app.get("/api/openapi.json", None).await.body;
    let components = &spec["components"]["schemas"];
    let database = app.owner_connection().await;

    let mut operations = Vec::new();
    for (path, methods) in spec["paths"].as_object().unwrap() {
        for (method, operation) in methods.as_object().unwrap() {
            operations.push((path.clone(), method.clone(), operation.clone()));
        }
    }
    let in_document: BTreeSet<&str> = operations
        .iter()
        .map(|(_, _, operation)| operation["operationId"].as_str().unwrap())
        .collect();
    let missing: Vec<&&str> = in_document
        .iter()
        .filter(|id| !matrix.contains_key(**id))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a row in tests/isolation-matrix.txt: {missing:?}"
    );
    let stale: Vec<&String> = matrix
        .keys()
        .filter(|id| !in_document.contains(id.as_str()))
        .collect();
    assert!(
        stale.is_empty(),
        "rows for operations the document no longer has: {stale:?}"
    );

    // Logging out would end the principal's session for the rest of the matrix: it goes last.
    operations.sort_by_key(|(_, _, operation)| operation["operationId"] == "logout");
    let mut mismatches = Vec::new();
    let mut observed = Vec::new();
    let mut before = fingerprint(&database).await;
    for (path, method, operation) in &operations {
        let id = operation["operationId"].as_str().unwrap();
        let row = &matrix[id];
        let call = call(path, method, operation, row, &world, components);
        let mut outcomes = Vec::new();
        for (index, principal) in PRINCIPALS.iter().enumerate() {
            let mut response = send(app, &call, world.tokens[index].as_deref()).await;
            if response.status == StatusCode::TOO_MANY_REQUESTS {
                // Public writes are limited per address, and every principal here has the same
                // one: the next hour lets the next principal in.
                app.clock.advance(chrono::Duration::minutes(61));
                response = send(app, &call, world.tokens[index].as_deref()).await;
            }
            let what = format!(
                "{id} ({} {}) as {principal}: {} {}",
                call.method,
                call.path,
                response.status,
                response.text.chars().take(300).collect::<String>()
            );
            let outcome = Outcome::of(response.status)
                .unwrap_or_else(|| panic!("no request may get this: {what}"));
            let asked = format!("{} {:?}", call.path, call.body.as_ref().map(Body::text));
            for object in PRIVATE_OBJECTS {
                let id = &world.objects[*object];
                assert!(
                    asked.contains(id.as_str()) || !response.text.contains(id.as_str()),
                    "the id of the private {object} leaked to {what}"
                );
            }
            for marker in &world.markers {
                assert!(
                    !response.text.contains(marker.as_str()),
                    "a private marker `{marker}` leaked to {what}"
                );
            }
            let after = fingerprint(&database).await;
            if outcome != Outcome::Allowed {
                assert_eq!(
                    before, after,
                    "a refused request changed the database: {what}"
                );
            }
            before = after;
            if outcome != row.expected[index] {
                mismatches.push(format!("expected {}: {what}", row.expected[index].name()));
            }
            outcomes.push(outcome.name());
        }
        observed.push(format!("{id} {}", outcomes.join(" ")));
    }
    assert!(
        mismatches.is_empty(),
        "{} answers differ from tests/isolation-matrix.txt:\n{}\n\nobserved:\n{}",
        mismatches.len(),
        mismatches.join("\n"),
        observed.join("\n")
    );
}
