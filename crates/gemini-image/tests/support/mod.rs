//! Test support: the spec as JSON, its examples, and values generated from its schemas.
#![allow(dead_code)] // each test binary uses a different part

pub mod scripted;
pub mod spec_values;
pub mod uploads;

use serde_json::Value;

/// The spec, parsed from `openapi/gemini.yaml` into JSON.
pub fn spec() -> Value {
    let text = include_str!("../../../../openapi/gemini.yaml");
    serde_norway::from_str(text).expect("openapi/gemini.yaml is valid YAML")
}

/// Follows a local `$ref` (`#/components/...`) until a non-reference node is reached.
pub fn resolve<'a>(spec: &'a Value, mut node: &'a Value) -> &'a Value {
    while let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let pointer = reference.strip_prefix('#').expect("only local references");
        node = spec
            .pointer(pointer)
            .unwrap_or_else(|| panic!("dangling $ref {reference}"));
    }
    node
}

/// The component name a `$ref` points at, if the node is a reference to a schema.
pub fn ref_name(node: &Value) -> Option<&str> {
    node.get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// One example of the spec and the schema it illustrates.
#[derive(Debug)]
pub struct Example {
    /// Where it is used, for messages and snapshot names: `generateContent.response.200.imageBlocked`.
    pub location: String,
    /// The media type it is given for.
    pub media_type: String,
    /// The schema node (possibly a `$ref`).
    pub schema: Value,
    /// The `components/examples` entry it refers to, when it is shared.
    pub component: Option<String>,
    pub value: Value,
}

/// Every request and response example of every operation, `$ref`s resolved.
pub fn examples(spec: &Value) -> Vec<Example> {
    let mut found = Vec::new();
    for (_path, item) in spec["paths"].as_object().expect("paths") {
        for (_method, operation) in item.as_object().expect("path item") {
            let id = operation["operationId"]
                .as_str()
                .unwrap_or("<no operationId>");
            if let Some(body) = operation.get("requestBody") {
                collect(
                    spec,
                    &format!("{id}.request"),
                    resolve(spec, body),
                    &mut found,
                );
            }
            for (status, response) in operation["responses"].as_object().expect("responses") {
                collect(
                    spec,
                    &format!("{id}.response.{status}"),
                    resolve(spec, response),
                    &mut found,
                );
            }
        }
    }
    found
}

fn collect(spec: &Value, location: &str, holder: &Value, out: &mut Vec<Example>) {
    let Some(content) = holder.get("content").and_then(Value::as_object) else {
        return;
    };
    for (media_type, media) in content {
        let schema = media["schema"].clone();
        if let Some(value) = media.get("example") {
            out.push(Example {
                location: format!("{location}.{}", short(media_type)),
                media_type: media_type.clone(),
                schema: schema.clone(),
                component: None,
                value: value.clone(),
            });
        }
        for (name, example) in media
            .get("examples")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            out.push(Example {
                location: format!("{location}.{name}"),
                media_type: media_type.clone(),
                schema: schema.clone(),
                component: example
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/examples/"))
                    .map(str::to_string),
                value: resolve(spec, example)["value"].clone(),
            });
        }
    }
}

fn short(media_type: &str) -> &str {
    media_type.rsplit('/').next().unwrap_or(media_type)
}

/// A client of `base_url` whose retries wait milliseconds, not seconds.
pub fn quick_client(api_key: &str, base_url: &str) -> gemini_image::Client {
    gemini_image::Client::builder()
        .api_key(api_key)
        .base_url(base_url)
        .retry(
            gemini_image::RetryPolicy::default()
                .initial_backoff(std::time::Duration::from_millis(10))
                .max_backoff(std::time::Duration::from_millis(50)),
        )
        .build()
        .expect("a client with a key")
}

/// The statuses the mock answered, oldest first.
pub fn statuses(server: &gemini_image_mock::MockServer) -> Vec<u16> {
    server
        .received_requests()
        .iter()
        .map(|r| r.status)
        .collect()
}
