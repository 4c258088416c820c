//! The API contract as served at `/api/openapi.json`: the operations the handlers describe
//! (`ApiDoc`), completed with what every operation shares and no handler should have to repeat —
//! the one error body on every refusal, how a caller authenticates, and the statuses any layer
//! in front of a handler may answer (docs/api.md, "Errors").

use serde_json::{json, Value};

/// The statuses the layers in front of every handler may answer: a store that is down (503), a
/// fault of ours (500); and on `/api/` an unknown or expired bearer token (401).
const EVERY_OPERATION: [(&str, &str); 3] = [
    (
        "422",
        "a value breaks its rule; on any route, a control character in the address",
    ),
    ("500", "a fault of the hall's; it has been logged"),
    ("503", "the store is unavailable; try again"),
];
/// And that of an operation with query parameters: the query does not parse.
const WITH_QUERY: (&str, &str) = ("400", "the query string does not parse (`invalid_query`)");
const ON_THE_API: (&str, &str) = (
    "401",
    "not signed in, or the bearer token is unknown or expired",
);

/// And those of an operation that takes a body or path parameters.
const WITH_BODY: [(&str, &str); 4] = [
    ("400", "the body is not JSON of the described shape"),
    ("413", "the body is larger than the limit"),
    ("415", "the body is not of the content type described"),
    (
        "422",
        "a field's value breaks its rule (`details.field`, `details.rule`)",
    ),
];
const WITH_PATH: (&str, &str) = ("404", "no such record, or not one the caller may know of");

/// The served OpenAPI 3.1 document.
pub fn document(described: Value) -> Value {
    let mut doc = described;
    let components = doc["components"].as_object_mut().map(std::mem::take);
    let mut components = components.unwrap_or_default();
    components
        .entry("schemas")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .expect("schemas is an object")
        .insert("ErrorBody".into(), error_body());
    components.insert(
        "securitySchemes".into(),
        json!({
            "session": {
                "type": "apiKey", "in": "cookie", "name": super::extract::SESSION_COOKIE,
                "description": "The browser's session cookie, set by POST /api/session. A state change sent with it must come from the hall's own origin (docs/api.md, \"Cross-site requests\")."
            },
            "bearer": {
                "type": "http", "scheme": "bearer",
                "description": "The token POST /api/session answers, as `Authorization: Bearer <token>`."
            },
            "metrics_token": {
                "type": "http", "scheme": "bearer",
                "description": "BIDHALL_METRICS_TOKEN, for a Prometheus scraper."
            }
        }),
    );
    doc["components"] = Value::Object(components);
    // Public routes answer anyone; the others say 401 or 403 when the caller is not entitled.
    doc["security"] = json!([{ "session": [] }, { "bearer": [] }, {}]);
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (method, op) in item.iter_mut() {
                if matches!(method.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                    complete(path, op);
                }
            }
        }
    }
    doc
}

fn error_body() -> Value {
    json!({
        "type": "object",
        "description": "Every refusal, from any layer: a stable code, plain words, and details that depend on the code (docs/api.md, \"Errors\").",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": { "type": "string", "description": "stable, snake_case (docs/api.md lists them)" },
                    "message": { "type": "string" },
                    "details": { "type": "object" }
                }
            }
        }
    })
}

/// Adds the shared statuses to one operation and gives every refusal the error body, keeping
/// what the handler says where it says more (a text body, its own description).
fn complete(path: &str, op: &mut Value) {
    let has_body = op.get("requestBody").is_some();
    let has_path = path.contains('{');
    let has_query = op["parameters"]
        .as_array()
        .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"));
    let Some(responses) = op["responses"].as_object_mut() else {
        return;
    };
    let mut add = |status: &str, description: &str| {
        responses
            .entry(status.to_string())
            .or_insert_with(|| json!({ "description": description }));
    };
    for (status, description) in EVERY_OPERATION {
        add(status, description);
    }
    if path.starts_with("/api/") {
        add(ON_THE_API.0, ON_THE_API.1);
    }
    if has_body {
        for (status, description) in WITH_BODY {
            add(status, description);
        }
    }
    if has_path {
        add(WITH_PATH.0, WITH_PATH.1);
    }
    if has_query {
        add(WITH_QUERY.0, WITH_QUERY.1);
    }
    for (status, response) in responses.iter_mut() {
        let refusal = status.starts_with('4') || status.starts_with('5') || status == "default";
        let Some(response) = response.as_object_mut() else {
            continue;
        };
        if response
            .get("description")
            .and_then(Value::as_str)
            .is_none_or(str::is_empty)
        {
            response.insert("description".into(), json!(describe(status)));
        }
        if refusal && !response.contains_key("content") {
            response.insert(
                "content".into(),
                json!({ "application/json": { "schema": { "$ref": "#/components/schemas/ErrorBody" } } }),
            );
        }
    }
}

fn describe(status: &str) -> &'static str {
    match status {
        "200" => "done",
        "201" => "created",
        "204" => "done; no content",
        "400" => "the request is malformed",
        "401" => "not signed in",
        "403" => "not for this caller",
        "404" => "not found",
        "409" => "the state of the record does not allow it",
        "410" => "gone",
        "413" => "too large",
        "422" => "a value breaks its rule",
        "429" => "too many requests",
        "502" => "the bank did not answer as it should",
        "503" => "unavailable; try again",
        _ => "see docs/api.md",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_the_error_body_and_the_shared_statuses() {
        let doc = document(json!({
            "openapi": "3.1.0",
            "paths": {
                "/api/x/{id}": { "post": {
                    "requestBody": { "content": { "application/json": {} } },
                    "responses": { "200": { "description": "" }, "403": { "description": "" } }
                } },
                "/readyz": { "get": { "responses": {
                    "503": { "description": "down", "content": { "text/plain": {} } }
                } } }
            }
        }));
        let post = &doc["paths"]["/api/x/{id}"]["post"]["responses"];
        for status in [
            "400", "401", "403", "404", "413", "415", "422", "500", "503",
        ] {
            assert_eq!(
                post[status]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/ErrorBody",
                "{status}"
            );
            assert!(post[status]["description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()));
        }
        assert!(
            post["200"].get("content").is_none(),
            "a success is left as described"
        );
        let ready = &doc["paths"]["/readyz"]["get"]["responses"];
        assert!(
            ready["503"]["content"].get("text/plain").is_some(),
            "a text body is kept"
        );
        assert!(
            ready.get("404").is_none(),
            "no path parameters, no 404 added"
        );
        assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    }
}
