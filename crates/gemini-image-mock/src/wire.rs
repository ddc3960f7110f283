//! How answers are written: keys in the order Google writes them, pretty-printed for unary
//! answers and on one line for SSE events.
//!
//! The generated types serialize fields alphabetically; Google writes them in proto field
//! order, which is the order the spec lists properties in (a spec test holds it to the real
//! captures). Clients do not depend on it, but people diffing a mock answer against a real one
//! do, and so do streaming parsers that want `mimeType` before megabytes of `data`.

use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value};

use crate::spec::SPEC;

mod order;

/// `value` as JSON with every object's keys in the order of the spec schema `schema`.
/// Keys the spec does not list keep their relative order, after the listed ones.
/// Integral numbers are written without a fraction (`1`, not `1.0`), as proto3 JSON does.
pub fn in_wire_order<T: Serialize>(schema: &str, value: &T) -> Value {
    // Through text rather than `to_value`, which widens `f32` to `f64` (0.95 would become
    // 0.949999988079071); text keeps the shortest form. Generated types always serialize.
    let value = serde_json::to_vec(value)
        .ok()
        .and_then(|text| serde_json::from_slice(&text).ok())
        .unwrap_or(Value::Null);
    match SPEC.schema(schema) {
        Some(node) => reorder(node, value),
        None => value,
    }
}

fn reorder(node: &'static Value, value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let order = order::of(node);
            let Some(properties) = &order.properties else {
                return Value::Object(map);
            };
            // The listed keys sorted by their place in the spec, the rest after them as they
            // came: a lookup per key present, rather than one per property the spec lists.
            let mut listed = Vec::with_capacity(map.len());
            let mut rest = Map::new();
            for (name, item) in map {
                match properties.get(name.as_str()) {
                    Some(&(place, schema)) => listed.push((place, name, reorder(schema, item))),
                    None => {
                        rest.insert(name, item);
                    }
                }
            }
            listed.sort_unstable_by_key(|(place, ..)| *place);
            let mut ordered = Map::with_capacity(listed.len() + rest.len());
            ordered.extend(listed.into_iter().map(|(_, name, item)| (name, item)));
            ordered.extend(rest);
            Value::Object(ordered)
        }
        Value::Array(items) => match order::of(node).items {
            Some(item_schema) => items
                .into_iter()
                .map(|item| reorder(item_schema, item))
                .collect(),
            None => Value::Array(items),
        },
        Value::Number(number) => match number.as_f64() {
            Some(float) if number.is_f64() && float.fract() == 0.0 && float.abs() < 9.0e15 => {
                Value::from(float as i64)
            }
            _ => Value::Number(number),
        },
        other => other,
    }
}

/// Pretty-printed with two spaces and a trailing newline, as Google prints unary answers.
pub fn pretty<T: Serialize>(schema: &str, value: &T) -> Bytes {
    let mut out = serde_json::to_vec_pretty(&in_wire_order(schema, value)).unwrap_or_default();
    out.push(b'\n');
    Bytes::from(out)
}

/// Pretty-printed without the trailing newline (one element of a streamed JSON array).
pub fn pretty_element<T: Serialize>(schema: &str, value: &T) -> Vec<u8> {
    serde_json::to_vec_pretty(&in_wire_order(schema, value)).unwrap_or_default()
}

/// One line, the way Google's SSE serializer writes it: `"key": value` pairs joined by `,`.
pub fn single_line<T: Serialize>(schema: &str, value: &T) -> Vec<u8> {
    google_line(&in_wire_order(schema, value))
}

/// `value` on one line as Google's SSE serializer writes JSON (`": "` after a key, `,`
/// between items), its keys in the order they are.
pub fn google_line(value: &Value) -> Vec<u8> {
    struct GoogleLine;
    impl serde_json::ser::Formatter for GoogleLine {
        fn begin_object_value<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
        ) -> std::io::Result<()> {
            writer.write_all(b": ")
        }
    }
    with_formatter(value, GoogleLine)
}

/// `value` written by `formatter` (the layouts the mock and its recordings write).
pub fn with_formatter(value: &Value, formatter: impl serde_json::ser::Formatter) -> Vec<u8> {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, formatter);
    // Writing a Value into a Vec cannot fail.
    let _ = value.serialize(&mut serializer);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_come_out_in_proto_order_at_every_depth() {
        let response: gemini_image_types::types::GenerateContentResponse = serde_json::from_value(json!({
            "responseId": "r1",
            "modelVersion": "gemini-2.5-flash-image",
            "usageMetadata": {"thoughtsTokenCount": 3, "totalTokenCount": 13, "promptTokenCount": 10},
            "candidates": [{
                "index": 0,
                "finishReason": "STOP",
                "content": {"role": "model", "parts": [{"inlineData": {"data": "iVBORw==", "mimeType": "image/png"}}]}
            }]
        }))
        .unwrap();
        let line = String::from_utf8(single_line("GenerateContentResponse", &response)).unwrap();
        assert_eq!(
            line,
            r#"{"candidates": [{"content": {"parts": [{"inlineData": {"mimeType": "image/png","data": "iVBORw=="}}],"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {"promptTokenCount": 10,"totalTokenCount": 13,"thoughtsTokenCount": 3},"modelVersion": "gemini-2.5-flash-image","responseId": "r1"}"#
        );
    }

    #[test]
    fn floats_are_written_as_proto3_json_writes_them() {
        let model = gemini_image_types::types::Model {
            temperature: Some(1.0),
            top_p: Some(0.95),
            ..Default::default()
        };
        let text = String::from_utf8(single_line("Model", &model)).unwrap();
        assert_eq!(text, r#"{"temperature": 1,"topP": 0.95}"#);
    }

    #[test]
    fn keys_the_spec_does_not_list_are_kept_after_the_listed_ones() {
        let value = json!({"zeta": 1, "mimeType": "image/png", "alpha": 2, "data": "AA=="});
        let ordered = in_wire_order("Blob", &value);
        let keys: Vec<&String> = ordered.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["mimeType", "data", "zeta", "alpha"]);
    }
}
