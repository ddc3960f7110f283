//! Rules the hand-maintained spec must keep, checked on the spec itself.

mod support;

use serde_json::{Map, Value, json};

/// Operations, as `(path, method, operation)`.
fn operations(spec: &Value) -> Vec<(String, String, Value)> {
    let mut found = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            found.push((path.clone(), method.clone(), operation.clone()));
        }
    }
    found
}

#[test]
fn every_operation_has_an_id_and_examples_for_its_request_and_every_response() {
    let spec = support::spec();
    let examples = support::examples(&spec);
    let mut ids = Vec::new();
    for (path, method, operation) in operations(&spec) {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(
            !ids.contains(&id.to_string()),
            "operationId {id} is used twice"
        );
        ids.push(id.to_string());
        if operation.get("requestBody").is_some() {
            let prefix = format!("{id}.request.");
            assert!(
                examples.iter().any(|e| e.location.starts_with(&prefix)),
                "{id}: no request example"
            );
        }
        for status in operation["responses"].as_object().unwrap().keys() {
            let prefix = format!("{id}.response.{status}.");
            assert!(
                examples.iter().any(|e| e.location.starts_with(&prefix)),
                "{id}: no example for {status}"
            );
        }
    }
    let expected = [
        "generateContent",
        "streamGenerateContent",
        "countTokens",
        "listModels",
        "getModel",
        "predict",
    ];
    for id in expected {
        assert!(ids.iter().any(|i| i == id), "missing operation {id}");
    }
}

/// The schema with every object closed (`additionalProperties: false` where the spec leaves it
/// open), so that an example with a misspelt field fails instead of passing as an "extra".
fn closed(node: &Value) -> Value {
    match node {
        Value::Object(map) => {
            let mut out: Map<String, Value> =
                map.iter().map(|(k, v)| (k.clone(), closed(v))).collect();
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                out.insert("additionalProperties".into(), json!(false));
            }
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(closed).collect()),
        other => other.clone(),
    }
}

#[test]
fn every_example_validates_against_its_schema() {
    let spec = support::spec();
    let components = closed(&spec["components"]);
    let mut checked = 0;
    for example in support::examples(&spec) {
        let root = json!({ "allOf": [closed(&example.schema)], "components": components });
        let validator = jsonschema::draft4::new(&root)
            .unwrap_or_else(|e| panic!("{}: schema does not compile: {e}", example.location));
        let errors: Vec<String> = validator
            .iter_errors(&example.value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{} does not match its schema:\n{}",
            example.location,
            errors.join("\n")
        );
        checked += 1;
    }
    assert!(checked >= 40);
}

#[test]
fn a_wrong_example_is_caught() {
    // The check above must be able to fail: a misspelt field and a bad enum value are rejected.
    let spec = support::spec();
    let root = json!({
        "allOf": [{"$ref": "#/components/schemas/GenerateContentRequest"}],
        "components": closed(&spec["components"]),
    });
    let validator = jsonschema::draft4::new(&root).unwrap();
    let contents = json!([{"parts": [{"text": "a fox"}]}]);
    let valid = json!({"contents": contents});
    assert!(validator.is_valid(&valid), "the base request is valid");
    let misspelt =
        json!({"contents": contents, "generationConfig": {"responseModality": ["IMAGE"]}});
    assert!(!validator.is_valid(&misspelt));
    let bad_enum =
        json!({"contents": contents, "safetySettings": [{"category": 7, "threshold": "OFF"}]});
    assert!(!validator.is_valid(&bad_enum));
    let good = json!({"contents": contents, "generationConfig": {"responseModalities": ["IMAGE", "SOMETHING_NEW"]}});
    assert!(
        !validator.is_valid(&json!({"contents": []})),
        "a request needs a turn"
    );
    assert!(
        validator.is_valid(&good),
        "an open enum accepts a newer value"
    );
}

/// Walks every schema node under components.schemas, with a path for messages.
fn walk<'a>(path: String, node: &'a Value, visit: &mut dyn FnMut(&str, &'a Value)) {
    visit(&path, node);
    if let Some(properties) = node.get("properties").and_then(Value::as_object) {
        for (name, child) in properties {
            walk(format!("{path}.{name}"), child, visit);
        }
    }
    for key in ["items", "additionalProperties", "not"] {
        if let Some(child) = node.get(key).filter(|c| c.is_object()) {
            walk(format!("{path}[{key}]"), child, visit);
        }
    }
    for (i, child) in node
        .get("oneOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        walk(format!("{path}.oneOf[{i}]"), child, visit);
    }
}

#[test]
fn every_schema_and_field_is_described() {
    let spec = support::spec();
    let mut missing = Vec::new();
    for (name, schema) in spec["components"]["schemas"].as_object().unwrap() {
        walk(name.clone(), schema, &mut |path, node| {
            // A `$ref` takes its description from its target (siblings of $ref are ignored in 3.0).
            let is_ref = node.get("$ref").is_some();
            let is_array_item = path.ends_with("[items]")
                || path.ends_with("[additionalProperties]")
                || path.ends_with("[not]");
            let is_plain_item = is_array_item && node.get("properties").is_none();
            if !is_ref
                && !is_plain_item
                && node
                    .get("description")
                    .and_then(Value::as_str)
                    .is_none_or(str::is_empty)
            {
                missing.push(path.to_string());
            }
        });
    }
    assert!(
        missing.is_empty(),
        "schemas/fields without a description:\n{}",
        missing.join("\n")
    );
}

#[test]
fn request_fields_have_no_defaults_and_every_enum_is_open() {
    let spec = support::spec();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let mut problems = Vec::new();
    for (name, schema) in schemas {
        walk(name.clone(), schema, &mut |path, node| {
            if node.get("default").is_some() && !path.ends_with(".default") {
                problems.push(format!(
                    "{path} has a default: generated clients would always send it"
                ));
            }
            // A union's tag (`type: {enum: [image]}`, marked `x-tag`) is one fixed value, not an enum.
            let is_tag = node.get("x-tag").and_then(Value::as_bool) == Some(true);
            if node.get("enum").is_some() && path.contains('.') && !is_tag {
                problems.push(format!("{path} is an inline closed enum: declare it as a component with an open wrapper"));
            }
            if let Some(target) = support::ref_name(node) {
                let is_closed_enum = schemas[target].get("enum").is_some();
                if is_closed_enum && !path.contains(".oneOf[") && !path.ends_with("[not]") {
                    problems.push(format!(
                        "{path} refers to the closed enum {target}: refer to {target}Value"
                    ));
                }
            }
        });
        if let (Some(numbers), Some(values)) = (
            schema.get("x-enum-numbers").and_then(Value::as_array),
            schema.get("enum").and_then(Value::as_array),
        ) && numbers.len() != values.len()
        {
            problems.push(format!(
                "{name}: x-enum-numbers has {} numbers for {} values",
                numbers.len(),
                values.len()
            ));
        }
        if schema.get("enum").is_some() && !schemas.contains_key(&format!("{name}Value")) {
            problems.push(format!("enum {name} has no open wrapper {name}Value"));
        }
        for field in schema
            .get("x-required-in-request")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let field = field.as_str().unwrap();
            let is_oneof = schema.get("x-oneof").and_then(|o| o.get(field)).is_some();
            if schema["properties"].get(field).is_none() && !is_oneof {
                problems.push(format!(
                    "{name}: x-required-in-request names the unknown field {field}"
                ));
            }
        }
        for (oneof, members) in schema
            .get("x-oneof")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            for member in members.as_array().into_iter().flatten() {
                let member = member.as_str().unwrap_or_default();
                if schema["properties"].get(member).is_none() {
                    problems.push(format!(
                        "{name}: the oneof {oneof} names the unknown field {member}"
                    ));
                }
            }
        }
        for field in schema
            .get("x-nonempty-in-request")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(field, _)| field)
        {
            if schema["properties"].get(field).is_none() {
                problems.push(format!(
                    "{name}: x-nonempty-in-request names the unknown field {field}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_reference_enum_value_is_in_the_spec() {
    // Spot checks of the values that clients most often choke on (gemini-api.md §5).
    let spec = support::spec();
    let values = |name: &str| -> Vec<String> {
        spec["components"]["schemas"][name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is not an enum"))
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    for reason in [
        "IMAGE_SAFETY",
        "IMAGE_PROHIBITED_CONTENT",
        "IMAGE_OTHER",
        "NO_IMAGE",
        "IMAGE_RECITATION",
        "MALFORMED_FUNCTION_CALL",
        "TOO_MANY_TOOL_CALLS",
        "MISSING_THOUGHT_SIGNATURE",
    ] {
        assert!(
            values("FinishReason").contains(&reason.to_string()),
            "FinishReason lacks {reason}"
        );
    }
    assert_eq!(values("FinishReason").len(), 24);
    assert_eq!(values("BlockReason").len(), 8);
    // The ratios and sizes are those of the model table's Gemini image models, no more, no less.
    let from_table = |of: fn(&gemini_image::models::ModelInfo) -> &[&str]| {
        let mut all: Vec<String> = gemini_image::models::MODELS
            .iter()
            .filter(|m| m.family != gemini_image::models::Family::Imagen)
            .flat_map(|m| of(m).iter().map(|v| v.to_string()))
            .collect();
        all.sort();
        all.dedup();
        all
    };
    let sorted = |mut list: Vec<String>| {
        list.sort();
        list
    };
    assert_eq!(
        sorted(values("AspectRatio")),
        from_table(|m| m.aspect_ratios)
    );
    assert_eq!(values("AspectRatio").len(), 14);
    assert_eq!(sorted(values("ImageSize")), from_table(|m| m.image_sizes));
    assert_eq!(values("ImageSize"), ["512", "1K", "2K", "4K"]);
    assert_eq!(
        values("ServiceTier"),
        ["unspecified", "flex", "standard", "priority"]
    );
    assert_eq!(values("ContentModality").len(), 6);
}

/// Keys of `value` that break the order of `schema`'s properties, as `path: a before b`.
fn out_of_order(spec: &Value, schema: &Value, value: &Value, path: &str, found: &mut Vec<String>) {
    let schema = support::resolve(spec, schema);
    match value {
        Value::Object(map) => {
            let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
                return;
            };
            let position = |key: &str| properties.keys().position(|k| k == key);
            let mut last: Option<(usize, &str)> = None;
            for (key, item) in map {
                let Some(index) = position(key) else { continue };
                if let Some((previous, previous_key)) = last
                    && index < previous
                {
                    found.push(format!("{path}: \"{previous_key}\" before \"{key}\""));
                }
                last = Some((index, key));
                out_of_order(
                    spec,
                    &properties[key],
                    item,
                    &format!("{path}.{key}"),
                    found,
                );
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter().enumerate() {
                    out_of_order(spec, item_schema, item, &format!("{path}[{i}]"), found);
                }
            }
        }
        _ => {}
    }
}

#[test]
fn properties_are_listed_in_the_order_google_writes_them() {
    // The mock writes keys in the spec's order, so the spec must list properties in wire order
    // (proto field order). The response examples are copied from real captures: they are the
    // evidence of that order.
    let spec = support::spec();
    let mut found = Vec::new();
    for example in support::examples(&spec) {
        if example.location.contains(".response.") {
            out_of_order(
                &spec,
                &example.schema,
                &example.value,
                &example.location,
                &mut found,
            );
        }
    }
    // Line 319 of the reference's SSE capture, verbatim apart from the shortened image.
    let captured: Value = serde_json::from_str(
        r#"{"candidates": [{"content": {"parts": [{"text": " a fox."}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 10,"candidatesTokenCount": 1295,"totalTokenCount": 1305,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 10}],"candidatesTokensDetails": [{"modality": "IMAGE","tokenCount": 1290}],"thoughtsTokenCount": 59,"serviceTier": "standard"},"modelVersion": "gemini-2.5-flash-image","responseId": "r1"}"#,
    )
    .unwrap();
    let schema = json!({"$ref": "#/components/schemas/GenerateContentResponse"});
    out_of_order(&spec, &schema, &captured, "sse capture", &mut found);
    assert!(found.is_empty(), "{}", found.join("\n"));

    let mut swapped = Vec::new();
    let wrong = json!({"candidates": [{"index": 0, "content": {"role": "model", "parts": []}}]});
    out_of_order(&spec, &schema, &wrong, "wrong", &mut swapped);
    assert_eq!(
        swapped.len(),
        2,
        "the check catches swapped keys: {swapped:?}"
    );
}
