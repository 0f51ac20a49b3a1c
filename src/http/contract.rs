//! The OpenAPI document as served: poem-openapi's, with what it cannot say said.
//!
//! - Dates: chrono's `NaiveDate` is parsed and written as an RFC 3339 full date (`2026-03-02`),
//!   which JSON Schema calls `date`; poem-openapi names the format `naive-date`, which no client
//!   generator or validator knows.
//! - Request bodies refuse fields they do not know (`deny_unknown_fields`, checked by the JSON body
//!   extractor); poem-openapi cannot write `additionalProperties: false`, so it is set here on every
//!   schema a request body reaches.

use serde_json::{Map, Value};

/// The document of `spec` (poem-openapi's JSON) with the amendments above.
pub fn amend(spec: &str) -> String {
    let Ok(mut document) = serde_json::from_str::<Value>(spec) else {
        return spec.to_owned();
    };
    standard_formats(&mut document);
    let mut closed = Vec::new();
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
        }
    }
    document.to_string()
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
        let amended: Value = serde_json::from_str(&super::amend(&spec.to_string())).unwrap();
        let schemas = &amended["components"]["schemas"];
        assert_eq!(schemas["NewThing"]["additionalProperties"], false);
        assert_eq!(schemas["Part"]["additionalProperties"], false);
        assert_eq!(schemas["Answer"].get("additionalProperties"), None);
        assert_eq!(schemas["Kind"].get("additionalProperties"), None);
        assert_eq!(schemas["NewThing"]["properties"]["on"]["format"], "date");
    }
}
