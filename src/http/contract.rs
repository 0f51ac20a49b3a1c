//! The OpenAPI document as served: poem-openapi's, with what it cannot say said.
//!
//! - Dates: chrono's `NaiveDate` is parsed and written as an RFC 3339 full date (`2026-03-02`),
//!   which JSON Schema calls `date`; poem-openapi names the format `naive-date`, which no client
//!   generator or validator knows.
//! - Request bodies refuse fields they do not know (`deny_unknown_fields`, checked by the JSON body
//!   extractor); poem-openapi cannot write `additionalProperties: false`, so it is set here on every
//!   schema a request body reaches.
//! - Optional fields: answers leave them out; a request body may leave its fields out or send
//!   them as `null`, which means the same (see `http::json`). So the optional properties of the
//!   schemas of request bodies are declared `nullable`; deeper down, `null` is not a value.
//! - Business rules: a status that a rule beyond the schema's reach gives (a 422 for a cursor this
//!   server did not issue, a 400 for a link that expired, a 415 for content of a refused type) is
//!   declared in the operation's responses, with the rule in words. The paging rule is the same
//!   for every operation with a `cursor`; the others come from the domains as [`Rule`]s.

use serde_json::{Map, Value, json};

/// A status an operation answers when a rule the schema cannot express is broken.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub operation: &'static str,
    pub status: u16,
    pub rule: &'static str,
}

impl Rule {
    pub const fn new(operation: &'static str, status: u16, rule: &'static str) -> Self {
        Self {
            operation,
            status,
            rule,
        }
    }
}

const CURSOR_RULE: &str = "`cursor` is not one this server issued for this query";

/// The document of `spec` (poem-openapi's JSON) with the amendments above.
pub fn amend(spec: &str, rules: &[Rule]) -> String {
    let Ok(mut document) = serde_json::from_str::<Value>(spec) else {
        return spec.to_owned();
    };
    standard_formats(&mut document);
    declare_rules(&mut document, rules);
    let mut closed = Vec::new();
    let mut bodies = Vec::new();
    if let Some(paths) = document.get("paths").and_then(Value::as_object) {
        for operation in paths.values().filter_map(Value::as_object) {
            for body in operation
                .values()
                .filter_map(|operation| operation.pointer("/requestBody/content"))
                .filter_map(Value::as_object)
            {
                for media in body.values() {
                    if let Some(schema) = media.get("schema") {
                        referenced(schema, &mut closed);
                        referenced(schema, &mut bodies);
                    }
                }
            }
        }
    }
    let mut index = 0;
    while index < closed.len() {
        let name = closed[index].clone();
        if let Some(schema) = document.pointer(&format!("/components/schemas/{name}")) {
            let mut more = Vec::new();
            referenced_inside(schema, &mut more);
            for name in more {
                if !closed.contains(&name) {
                    closed.push(name);
                }
            }
        }
        index += 1;
    }
    for name in closed {
        if let Some(Value::Object(schema)) =
            document.pointer_mut(&format!("/components/schemas/{name}"))
            && schema.get("type").and_then(Value::as_str) == Some("object")
        {
            schema.insert("additionalProperties".to_owned(), Value::Bool(false));
            if bodies.contains(&name) {
                nullable_optionals(schema);
            }
        }
    }
    document.to_string()
}

fn nullable_optionals(schema: &mut Map<String, Value>) {
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|names| {
            names
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    let Some(Value::Object(properties)) = schema.get_mut("properties") else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        if required.contains(name) {
            continue;
        }
        if property.get("$ref").is_some() {
            *property = json!({ "allOf": [property.clone()], "nullable": true });
        } else if let Value::Object(property) = property {
            property.insert("nullable".to_owned(), Value::Bool(true));
        }
    }
}

/// Adds each rule's status to its operation's responses, and the paging rule to every operation
/// that takes a `cursor`.
fn declare_rules(document: &mut Value, rules: &[Rule]) {
    let Some(Value::Object(paths)) = document.get_mut("paths") else {
        return;
    };
    for operation in paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|methods| methods.values_mut())
        .filter_map(Value::as_object_mut)
    {
        let id = operation
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let pages = operation
            .get("parameters")
            .and_then(Value::as_array)
            .is_some_and(|parameters| {
                parameters
                    .iter()
                    .any(|parameter| parameter["name"] == "cursor" && parameter["in"] == "query")
            });
        let mut declared: Vec<(u16, &str)> = rules
            .iter()
            .filter(|rule| rule.operation == id)
            .map(|rule| (rule.status, rule.rule))
            .collect();
        if pages {
            declared.push((422, CURSOR_RULE));
        }
        let Some(Value::Object(responses)) = operation.get_mut("responses") else {
            continue;
        };
        for (status, rule) in declared {
            let entry = responses.entry(status.to_string()).or_insert_with(|| {
                json!({
                    "description": "",
                    "content": { "application/problem+json": {
                        "schema": { "$ref": "#/components/schemas/Problem" } } }
                })
            });
            let description = entry["description"].as_str().unwrap_or_default();
            entry["description"] = Value::String(if description.is_empty() {
                rule.to_owned()
            } else {
                format!("{description}; {rule}")
            });
        }
    }
}

fn standard_formats(value: &mut Value) {
    match value {
        Value::Object(object) => {
            rename_format(object);
            object.values_mut().for_each(standard_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(standard_formats),
        _ => {}
    }
}

fn rename_format(object: &mut Map<String, Value>) {
    let standard = match object.get("format").and_then(Value::as_str) {
        Some("naive-date") => "date",
        Some("naive-date-time") => "date-time",
        _ => return,
    };
    object.insert("format".to_owned(), Value::String(standard.to_owned()));
}

/// The component schemas a schema refers to directly (itself, its items, its parts).
fn referenced(schema: &Value, names: &mut Vec<String>) {
    if let Some(reference) = schema.get("$ref").and_then(Value::as_str) {
        if let Some(name) = reference.strip_prefix("#/components/schemas/")
            && !names.iter().any(|known| known == name)
        {
            names.push(name.to_owned());
        }
        return;
    }
    referenced_inside(schema, names);
}

/// The component schemas the parts of a schema refer to.
fn referenced_inside(schema: &Value, names: &mut Vec<String>) {
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = schema.get(key) {
            referenced(inner, names);
        }
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        properties
            .values()
            .for_each(|property| referenced(property, names));
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(parts) = schema.get(key).and_then(Value::as_array) {
            parts.iter().for_each(|part| referenced(part, names));
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    #[test]
    fn request_schemas_are_closed_and_dates_standard() {
        let spec = json!({
            "paths": { "/a": { "post": {
                "requestBody": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/NewThing" } } } },
                "responses": {}
            } } },
            "components": { "schemas": {
                "NewThing": { "type": "object", "properties": {
                    "on": { "type": "string", "format": "naive-date" },
                    "parts": { "type": "array", "items": { "$ref": "#/components/schemas/Part" } }
                } },
                "Part": { "type": "object", "properties": {} },
                "Kind": { "type": "string", "enum": ["a"] },
                "Answer": { "type": "object", "properties": {} }
            } }
        });
        let amended: Value = serde_json::from_str(&super::amend(&spec.to_string(), &[])).unwrap();
        let schemas = &amended["components"]["schemas"];
        assert_eq!(schemas["NewThing"]["additionalProperties"], false);
        assert_eq!(schemas["Part"]["additionalProperties"], false);
        assert_eq!(schemas["Answer"].get("additionalProperties"), None);
        assert_eq!(schemas["Kind"].get("additionalProperties"), None);
        assert_eq!(schemas["NewThing"]["properties"]["on"]["format"], "date");
    }

    #[test]
    fn optional_request_fields_are_nullable_and_rules_are_declared() {
        let spec = json!({
            "paths": { "/a": { "get": {
                "operationId": "list_a",
                "parameters": [{ "name": "cursor", "in": "query", "schema": { "type": "string" } }],
                "requestBody": { "content": { "application/json": {
                    "schema": { "$ref": "#/components/schemas/NewThing" } } } },
                "responses": { "200": { "description": "" } }
            } } },
            "components": { "schemas": {
                "NewThing": { "type": "object", "required": ["name"], "properties": {
                    "name": { "type": "string" },
                    "note": { "type": "string" },
                    "part": { "$ref": "#/components/schemas/Part" }
                } },
                "Part": { "type": "object", "properties": {} }
            } }
        });
        let rules = [super::Rule::new("list_a", 409, "a rule")];
        let amended: Value =
            serde_json::from_str(&super::amend(&spec.to_string(), &rules)).unwrap();
        let thing = &amended["components"]["schemas"]["NewThing"]["properties"];
        assert_eq!(thing["name"].get("nullable"), None);
        assert_eq!(thing["note"]["nullable"], true);
        assert_eq!(thing["part"]["nullable"], true);
        let responses = &amended["paths"]["/a"]["get"]["responses"];
        assert_eq!(responses["409"]["description"], "a rule");
        assert!(
            responses["422"]["description"]
                .as_str()
                .unwrap()
                .contains("cursor")
        );
    }
}
