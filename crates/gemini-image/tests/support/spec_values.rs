//! proptest strategies for JSON values that a schema of the spec allows.
//!
//! Built from the spec itself, so a field added to the spec is generated (and round-tripped)
//! with no change here.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::{ref_name, resolve};

/// Values of the component schema `name`.
pub fn values_of(spec: &Value, name: &str) -> BoxedStrategy<Value> {
    let node = serde_json::json!({ "$ref": format!("#/components/schemas/{name}") });
    strategy(spec, &node, &mut Vec::new())
}

fn strategy(spec: &Value, node: &Value, stack: &mut Vec<String>) -> BoxedStrategy<Value> {
    if let Some(name) = ref_name(node) {
        // Recursive schemas (`Schema.items`) stop after one level: an empty object is valid.
        if stack.iter().any(|seen| seen == name) {
            return Just(Value::Object(Map::new())).boxed();
        }
        stack.push(name.to_string());
        let result = strategy(spec, resolve(spec, node), stack);
        stack.pop();
        return result;
    }
    if node.get("x-open-enum").and_then(Value::as_bool) == Some(true) {
        let known = strategy(spec, &node["oneOf"][0], stack);
        let newer = "[A-Z][A-Z_]{0,15}".prop_map(Value::String);
        return prop_oneof![4 => known, 1 => newer].boxed();
    }
    if let Some(values) = node.get("enum").and_then(Value::as_array) {
        return proptest::sample::select(values.clone()).boxed();
    }
    let format = node.get("format").and_then(Value::as_str);
    match node.get("type").and_then(Value::as_str) {
        Some("string") => match format {
            Some("byte") => proptest::collection::vec(any::<u8>(), 0..48)
                .prop_map(|bytes| Value::String(base64_simd::STANDARD.encode_to_string(bytes)))
                .boxed(),
            Some("int64") => any::<i64>()
                .prop_map(|n| Value::String(n.to_string()))
                .boxed(),
            _ => "\\PC{0,12}".prop_map(Value::String).boxed(),
        },
        Some("integer") => {
            let bound =
                |key: &str, default: i64| node.get(key).and_then(Value::as_i64).unwrap_or(default);
            (bound("minimum", i32::MIN.into())..=bound("maximum", i32::MAX.into()))
                .prop_map(Value::from)
                .boxed()
        }
        Some("number") if format == Some("float") => (prop::num::f32::NORMAL
            | prop::num::f32::ZERO)
            .prop_map(Value::from)
            .boxed(),
        Some("number") => (prop::num::f64::NORMAL | prop::num::f64::ZERO)
            .prop_map(Value::from)
            .boxed(),
        Some("boolean") => any::<bool>().prop_map(Value::Bool).boxed(),
        Some("array") => {
            let items = strategy(spec, &node["items"], stack);
            proptest::collection::vec(items, 0..3)
                .prop_map(Value::Array)
                .boxed()
        }
        Some("object") => object(spec, node, stack),
        _ => any_json(),
    }
}

fn object(spec: &Value, node: &Value, stack: &mut Vec<String>) -> BoxedStrategy<Value> {
    let required: Vec<&str> = node
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let properties: Vec<BoxedStrategy<Option<(String, Value)>>> = node
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(name, schema)| {
            let pair = {
                let name = name.clone();
                strategy(spec, schema, stack).prop_map(move |v| Some((name.clone(), v)))
            };
            if required.contains(&name.as_str()) {
                pair.boxed()
            } else {
                prop_oneof![Just(None), pair].boxed()
            }
        })
        .collect();
    let extra: BoxedStrategy<Map<String, Value>> = match node.get("additionalProperties") {
        Some(Value::Bool(true)) => proptest::collection::btree_map("[a-z]{1,6}", any_json(), 0..3)
            .prop_map(|m| m.into_iter().collect())
            .boxed(),
        Some(schema @ Value::Object(_)) => {
            let values = strategy(spec, schema, stack);
            proptest::collection::btree_map("[a-z]{1,6}", values, 0..3)
                .prop_map(|m| m.into_iter().collect())
                .boxed()
        }
        _ => Just(Map::new()).boxed(),
    };
    (properties, extra)
        .prop_map(|(properties, mut map)| {
            // Declared properties win over free-form extras of the same name.
            map.extend(properties.into_iter().flatten());
            Value::Object(map)
        })
        .boxed()
}

/// Small JSON values for schemas that allow anything.
fn any_json() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::String),
    ]
    .boxed()
}
