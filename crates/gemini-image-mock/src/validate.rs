//! Reads request bodies the way Google's proto3 JSON parser reads them, driven by the spec.
//!
//! Nothing here knows a field name: the schemas of `openapi/gemini.yaml` say what exists, so a
//! field added to the spec is accepted with no code change. What the parser accepts —
//! lowerCamel or snake_case names, integral floats and quoted numbers for integer fields, enum
//! names in any case (or their numbers), base64 in either alphabet — is normalised into the
//! canonical JSON the generated types read. What it rejects gets Google's message, with the
//! field path in snake_case (`generation_config.image_config`).
//!
//! A field given as `null` is a field not given (see [`Spec::read_object`]), as the proto3 JSON
//! mapping says.

use std::borrow::Cow;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::backend::Dialect;
use crate::error::ApiError;
use crate::state::Validation;

mod compiled;

use crate::spec::{SPEC, Spec, ref_name, snake_case};
use compiled::{Message, Node};

impl Spec {
    /// Checks `body` against the component schema `schema` as the Gemini API reads it and
    /// returns it in canonical form.
    pub fn normalize(&'static self, schema: &str, body: Value) -> Result<Value, ApiError> {
        self.normalize_as(Dialect::GeminiApi, schema, body)
    }

    /// Checks `body` against the component schema `schema` as the service of `dialect` reads
    /// it and returns it in canonical form.
    pub fn normalize_as(
        &'static self,
        dialect: Dialect,
        schema: &str,
        body: Value,
    ) -> Result<Value, ApiError> {
        let node = self
            .schema(schema)
            .ok_or_else(|| ApiError::invalid_argument(format!("no schema {schema} in the spec")))?;
        let mut walk = Walk {
            root: schema,
            dialect,
            path: Path::default(),
            violations: Vec::new(),
        };
        let value = self.read(node, body, &mut walk, schema)?;
        if walk.violations.is_empty() {
            Ok(value)
        } else {
            Err(ApiError::violations(walk.violations))
        }
    }

    fn read(
        &'static self,
        node: &'static Value,
        value: Value,
        walk: &mut Walk<'_>,
        type_name: &str,
    ) -> Result<Value, ApiError> {
        let path = &walk.path;
        match compiled::node(node) {
            Node::Ref { name, target } => self.read(target, value, walk, name),
            // Clients may receive values newer than the spec (open enums and unions), but the
            // server only takes the values it knows: read the wrapper as its closed member.
            Node::Open { known, name } => self.read(known, value, walk, name.unwrap_or(type_name)),
            Node::Union => self.read_union(node, value, walk, type_name),
            Node::Enum(values) => read_enum(node, values, value, path, type_name),
            Node::Message(message) => self.read_message(node, message, value, walk, type_name),
            Node::Map(values) => {
                let Value::Object(fields) = value else {
                    return Err(invalid_value(path, &proto_type(node, type_name), &value));
                };
                // A map or a free-form Struct.
                let Some(schema) = values else {
                    return Ok(Value::Object(fields));
                };
                let mut out = Map::new();
                for (key, item) in fields {
                    walk.path.push_key(&key);
                    let item = self.read(schema, item, walk, type_name)?;
                    walk.path.pop();
                    out.insert(key, item);
                }
                Ok(Value::Object(out))
            }
            Node::Array {
                items: item_schema,
                item_type,
                max_items,
                max_items_message,
            } => {
                let Value::Array(items) = value else {
                    return Err(invalid_value(path, &proto_type(node, type_name), &value));
                };
                if let Some(max) = *max_items
                    && items.len() as u64 > max
                {
                    // The spec carries Google's wording where it is known.
                    let message = max_items_message
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("* {path}: at most {max} values are allowed"));
                    return Err(ApiError::invalid_argument(message));
                }
                let item_type = item_type.unwrap_or(type_name);
                let mut out = Vec::with_capacity(items.len());
                // A null *element* is read as a value of the item type and refused ("Invalid
                // value at 'contents[0]' (…Content), null"): a list cannot hold "unset", and
                // protobuf's JSON parsers refuse it ("Repeated field elements cannot be null",
                // protobuf-java's JsonFormat; the proto3 JSON mapping only makes a null *list*
                // empty, which `read_message` does). Only a list of `google.protobuf.Value`s (no
                // item type) keeps it, as a NULL value. The same holds for the values of a typed
                // map ("Map value cannot be null.").
                for (index, item) in items.into_iter().enumerate() {
                    walk.path.push_index(index);
                    out.push(self.read(item_schema, item, walk, item_type)?);
                    walk.path.pop();
                }
                Ok(Value::Array(out))
            }
            Node::String(format) => read_string(*format, value, path),
            Node::Integer(format) => read_integer(node, *format, value, path),
            Node::Number(format) => read_number(*format, value, path),
            Node::Boolean => match value {
                Value::Bool(_) => Ok(value),
                other => Err(invalid_value(path, "TYPE_BOOL", &other)),
            },
            Node::Any => Ok(value),
        }
    }

    fn read_message(
        &'static self,
        node: &'static Value,
        message: &'static Message,
        value: Value,
        walk: &mut Walk<'_>,
        type_name: &str,
    ) -> Result<Value, ApiError> {
        let Value::Object(fields) = value else {
            return Err(invalid_value(
                &walk.path,
                &proto_type(node, type_name),
                &value,
            ));
        };
        let mut out = Map::with_capacity(fields.len());
        for (key, item) in fields {
            let Some(property) = message
                .property(&key)
                .filter(|p| walk.dialect == Dialect::VertexAi || !p.vertex_only)
            else {
                return Err(unknown_field(&walk.path, &key));
            };
            // A field given as null is a field not given. The proto3 JSON mapping
            // (https://protobuf.dev/programming-guides/json/): "null is an accepted value for
            // all field types and treated as the default value of the corresponding field
            // type" — a null list is empty, a null message unset, a null enum its default. So it
            // is left out here, before anything else looks at it: a required field given as null
            // is "not specified" exactly as a missing one, and a oneof member given as null does
            // not set its oneof (protobuf-java's JsonFormat: "treated as absent", even after
            // another member). The exception is a `google.protobuf.Value` field (a schema with
            // no type), where null is the NULL value and is kept; inside free-form objects
            // (Struct, args, responses) nothing is read, so their nulls stay too. Evidence: the
            // documentation of the format, and the Java parser that follows it; Google's own
            // answer to a null field has not been captured. The unknown-field check above still
            // comes first: a null does not make an unknown name known.
            if item.is_null() && !property.any_value {
                continue;
            }
            // The parser refuses a second member of a oneof as soon as it meets it.
            if let Some(oneof) = property.oneof
                && message
                    .members(oneof)
                    .any(|member| out.contains_key(member))
            {
                return Err(oneof_already_set(&walk.path, oneof, &key));
            }
            walk.path.push_snake(&property.snake);
            let item = self.read(property.schema, item, walk, type_name)?;
            walk.path.pop();
            out.insert(property.name.to_string(), item);
        }
        for &required in &message.required {
            let text = if message.is_oneof(required) {
                if message
                    .members(required)
                    .any(|member| out.contains_key(member))
                {
                    continue;
                }
                format!("required oneof field '{required}' must have one initialized field")
            } else if is_unset(&out, required) {
                format!("{} is not specified", snake_case(required))
            } else {
                continue;
            };
            walk.violation(required, text);
        }
        for &(field, text) in &message.nonempty {
            if is_unset(&out, field) {
                walk.violation(field, text);
            }
        }
        Ok(Value::Object(out))
    }

    /// A value of a union (`oneOf`, the Interactions API's): the member its tag names — `type`
    /// (steps, content blocks) or `event_type` — or else the member of its JSON kind (a string,
    /// an object, a list). Unions nested in unions are flattened first.
    fn read_union(
        &'static self,
        node: &'static Value,
        value: Value,
        walk: &mut Walk<'_>,
        type_name: &str,
    ) -> Result<Value, ApiError> {
        let mut members = Vec::new();
        self.union_members(node, type_name, &mut members);
        let kind = json_kind(&value);
        let of_kind: Vec<&(&Value, &str)> = members
            .iter()
            .filter(|(member, _)| member.get("type").and_then(Value::as_str) == Some(kind))
            .collect();
        let tagged: Vec<(&Value, &str, &str, Vec<&str>)> = of_kind
            .iter()
            .filter_map(|(member, name)| {
                let (key, tag) = ["type", "event_type"]
                    .into_iter()
                    .find_map(|key| Some((key, member.get("properties")?.get(key)?)))?;
                let values = tag.get("enum")?.as_array()?;
                Some((
                    *member,
                    *name,
                    key,
                    values.iter().filter_map(Value::as_str).collect(),
                ))
            })
            .collect();
        if let (false, Value::Object(fields)) = (tagged.is_empty(), &value) {
            let key = tagged[0].2;
            let field = walk.path.to_string();
            let at = if field.is_empty() {
                String::new()
            } else {
                format!(" at '{field}'")
            };
            let Some(tag) = fields.get(key).and_then(Value::as_str) else {
                return Err(ApiError::bad_field(
                    &field,
                    format!("Invalid value{at}: every item needs its '{key}'."),
                ));
            };
            let Some((member, name, _, _)) =
                tagged.iter().find(|(_, _, _, tags)| tags.contains(&tag))
            else {
                let known: Vec<&str> = tagged.iter().flat_map(|t| t.3.iter().copied()).collect();
                return Err(ApiError::bad_field(
                    &field,
                    format!(
                        "Invalid value{at}: unknown {key} '{tag}' (known: {}).",
                        known.join(", ")
                    ),
                ));
            };
            return self.read(member, value, walk, name);
        }
        match of_kind.first() {
            Some((member, name)) => self.read(member, value, walk, name),
            None => Err(invalid_value(
                &walk.path,
                &proto_type(node, type_name),
                &value,
            )),
        }
    }

    /// The members of a union, `$ref`s followed, open unions closed to their known members and
    /// nested unions flattened, each with its schema's name.
    fn union_members<'a>(
        &'static self,
        node: &'static Value,
        name: &'a str,
        out: &mut Vec<(&'static Value, &'a str)>,
    ) {
        let name = ref_name(node).unwrap_or(name);
        let node = self.resolve(node);
        let members = if node.get("x-open-union").and_then(Value::as_bool) == Some(true) {
            node["oneOf"].as_array().map(|m| &m[..1])
        } else {
            node.get("oneOf")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
        };
        match members {
            Some(members) => {
                for member in members {
                    self.union_members(member, name, out);
                }
            }
            None => out.push((node, name)),
        }
    }
}

/// Whether a field was left out. proto3 cannot tell an empty list from a missing one.
fn is_unset(fields: &Map<String, Value>, name: &str) -> bool {
    fields
        .get(name)
        .is_none_or(|v| v.as_array().is_some_and(Vec::is_empty))
}

/// Where the reader is in a body, and the rule violations found so far. Google's parser stops
/// at the first malformed value, but its validation lists every violation, one line each.
struct Walk<'a> {
    /// The request's type (`GenerateContentRequest`), which begins each violation.
    root: &'a str,
    /// The service whose fields are read.
    dialect: Dialect,
    path: Path,
    violations: Vec<String>,
}

impl Walk<'_> {
    /// Notes that `field` of the object being read breaks a rule.
    fn violation(&mut self, field: &str, message: impl std::fmt::Display) {
        self.path.push_field(field);
        self.violations
            .push(format!("{}.{}: {message}", self.root, self.path));
        self.path.pop();
    }
}

/// A second member of a oneof, refused by the parser the way protobuf's JSON reader words it.
fn oneof_already_set(path: &Path, oneof: &str, key: &str) -> ApiError {
    let field = path.to_string();
    let message = format!(
        "Invalid value at '{field}' (oneof), oneof field '{oneof}' is already set. Cannot set '{key}'"
    );
    ApiError::bad_field(&field, message)
}

/// The JSON Schema type of a value, as a union's members name theirs.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// The proto type Google names in "Invalid value" messages.
fn proto_type(node: &Value, type_name: &str) -> String {
    match node.get("type").and_then(Value::as_str) {
        Some("object") | None => {
            format!("type.googleapis.com/google.ai.generativelanguage.v1beta.{type_name}")
        }
        Some("array") => "TYPE_MESSAGE".to_string(),
        Some(other) => format!("TYPE_{}", other.to_uppercase()),
    }
}

fn read_enum(
    node: &Value,
    values: &[Value],
    value: Value,
    path: &Path,
    type_name: &str,
) -> Result<Value, ApiError> {
    let names = values.iter().filter_map(Value::as_str);
    if node.get("x-proto-string").and_then(Value::as_bool) == Some(true) {
        // A plain string field on the server: the value must be one of these, exactly.
        // Where the model, not the parser, decides (`x-checked-by-model`: the image config,
        // whose allowed values differ per model), any string passes here.
        let by_model = node.get("x-checked-by-model").and_then(Value::as_bool) == Some(true);
        return match &value {
            Value::String(text) if by_model || names.clone().any(|name| name == text) => Ok(value),
            Value::String(_) => Err(not_a_value_of(node, path, type_name, &value)),
            other => Err(invalid_value(path, "TYPE_STRING", other)),
        };
    }
    let numbers = node.get("x-enum-numbers").and_then(Value::as_array);
    let matched = match &value {
        // Google matches enum names case-insensitively (AI Studio exports send "Image").
        Value::String(text) => names.clone().find(|name| name.eq_ignore_ascii_case(text)),
        // proto3 JSON also takes the enum's number: the proto's, where the list says it.
        Value::Number(number) => number.as_u64().and_then(|n| match numbers {
            Some(numbers) => numbers
                .iter()
                .position(|known| known.as_u64() == Some(n))
                .and_then(|index| names.clone().nth(index)),
            None => usize::try_from(n).ok().and_then(|n| names.clone().nth(n)),
        }),
        _ => None,
    };
    match matched {
        Some(name) => Ok(Value::String(name.to_string())),
        None => Err(not_a_value_of(node, path, type_name, &value)),
    }
}

/// A value the enum does not have, refused the way the parser refuses it.
fn not_a_value_of(node: &Value, path: &Path, type_name: &str, value: &Value) -> ApiError {
    let proto = node
        .get("x-proto-type")
        .and_then(Value::as_str)
        .unwrap_or(type_name);
    let field = path.to_string();
    let message = format!(
        "Invalid value at '{field}' (type.googleapis.com/google.ai.generativelanguage.v1beta.{proto}), {}",
        compact(value)
    );
    ApiError::bad_field(&field, message)
}

fn read_string(format: Option<&str>, value: Value, path: &Path) -> Result<Value, ApiError> {
    match (format, value) {
        (Some("byte"), Value::String(text)) => {
            match gemini_image_types::Base64Bytes::decode(text.as_bytes()) {
                Ok(_) => Ok(Value::String(text)),
                Err(error) => {
                    let field = path.to_string();
                    let message = format!(
                        "Invalid value at '{field}' (TYPE_BYTES), Base64 decoding failed for \"{}\": {error}",
                        excerpt(&text)
                    );
                    Err(ApiError::bad_field(&field, message))
                }
            }
        }
        // int64 travels as a string, but the parser also takes a number.
        // A number past int64 (serde reads it as u64) is refused as a string past it is.
        (Some("int64"), Value::Number(n)) if n.is_i64() => Ok(Value::String(n.to_string())),
        (Some("int64"), Value::String(text)) if text.parse::<i64>().is_ok() => {
            Ok(Value::String(text))
        }
        (Some("int64"), other) => Err(invalid_value(path, "TYPE_INT64", &other)),
        (_, Value::String(text)) => Ok(Value::String(text)),
        (Some("byte"), other) => Err(invalid_value(path, "TYPE_BYTES", &other)),
        (_, other) => Err(invalid_value(path, "TYPE_STRING", &other)),
    }
}

fn read_integer(
    node: &Value,
    format: Option<&str>,
    value: Value,
    path: &Path,
) -> Result<Value, ApiError> {
    let proto = if format == Some("int64") {
        "TYPE_INT64"
    } else {
        "TYPE_INT32"
    };
    let number = match &value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64)),
        Value::String(text) => text.trim().parse::<i64>().ok(),
        _ => None,
    };
    let in_range = |n: i64| proto == "TYPE_INT64" || i32::try_from(n).is_ok();
    let Some(number) = number.filter(|&n| in_range(n)) else {
        return Err(invalid_value(path, proto, &value));
    };
    let minimum = node.get("minimum").and_then(Value::as_i64);
    let maximum = node.get("maximum").and_then(Value::as_i64);
    if minimum.is_some_and(|min| number < min) || maximum.is_some_and(|max| number > max) {
        let field = path.to_string();
        let bounds = format!(
            "{} and {}",
            minimum.unwrap_or(i64::MIN),
            maximum.unwrap_or(i64::MAX)
        );
        return Err(ApiError::bad_field(
            &field,
            format!("{field} must be between {bounds}, got {number}."),
        ));
    }
    Ok(Value::from(number))
}

fn read_number(format: Option<&str>, value: Value, path: &Path) -> Result<Value, ApiError> {
    let proto = if format == Some("double") {
        "TYPE_DOUBLE"
    } else {
        "TYPE_FLOAT"
    };
    match &value {
        Value::Number(_) => Ok(value),
        Value::String(text) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .map(Value::from)
            .ok_or_else(|| invalid_value(path, proto, &value)),
        _ => Err(invalid_value(path, proto, &value)),
    }
}

fn invalid_value(path: &Path, proto: &str, value: &Value) -> ApiError {
    let field = path.to_string();
    let shown = if field.is_empty() {
        String::new()
    } else {
        format!(" at '{field}'")
    };
    let message = format!("Invalid value{shown} ({proto}), {}", compact(value));
    ApiError::bad_field(&field, message)
}

fn unknown_field(path: &Path, key: &str) -> ApiError {
    let field = path.to_string();
    let message = if field.is_empty() {
        format!("Invalid JSON payload received. Unknown name \"{key}\": Cannot find field.")
    } else {
        format!(
            "Invalid JSON payload received. Unknown name \"{key}\" at '{field}': Cannot find field."
        )
    };
    ApiError::bad_field(&field, message)
}

/// A value as Google quotes it in messages: compact, and short.
fn compact(value: &Value) -> String {
    let text = value.to_string();
    excerpt(&text).to_string()
}

fn excerpt(text: &str) -> &str {
    const LIMIT: usize = 64;
    match text.char_indices().nth(LIMIT) {
        Some((end, _)) => &text[..end],
        None => text,
    }
}

/// The field path of an error, rendered the way Google renders it:
/// `contents[0].parts[1].inline_data`.
#[derive(Default)]
struct Path(Vec<Segment>);

enum Segment {
    Field(Cow<'static, str>),
    Index(usize),
}

impl Path {
    fn push_field(&mut self, camel: &str) {
        self.0.push(Segment::Field(Cow::Owned(snake_case(camel))));
    }

    /// A field whose snake_case name the compiled spec holds: no allocation per field read.
    fn push_snake(&mut self, snake: &'static str) {
        self.0.push(Segment::Field(Cow::Borrowed(snake)));
    }

    fn push_key(&mut self, key: &str) {
        self.0.push(Segment::Field(Cow::Owned(key.to_string())));
    }

    fn push_index(&mut self, index: usize) {
        self.0.push(Segment::Index(index));
    }

    fn pop(&mut self) {
        self.0.pop();
    }
}

impl std::fmt::Display for Path {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Field(name) if i == 0 => f.write_str(name)?,
                Segment::Field(name) => write!(f, ".{name}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// `raw` read as Google's JSON parser would, into the generated type of `schema`, with the
/// refusal a lenient `validation` served anyway (for the journal's warning in warn mode).
/// A batch reads each of its lines here, as a model call reads its body.
pub fn read_as<T: DeserializeOwned>(
    validation: Validation,
    dialect: Dialect,
    schema: &str,
    raw: Value,
) -> Result<(T, Value, Option<String>), ApiError> {
    let (normalized, warning) = if validation == Validation::Strict {
        (SPEC.normalize_as(dialect, schema, raw)?, None)
    } else {
        // Keeping a copy of the body costs memory: only the lenient modes need one.
        match SPEC.normalize_as(dialect, schema, raw.clone()) {
            Ok(normalized) => (normalized, None),
            Err(error) => (
                raw,
                (validation == Validation::Warn).then_some(error.message),
            ),
        }
    };
    let typed = T::deserialize(&normalized)
        .map_err(|e| ApiError::invalid_argument(format!("Invalid JSON payload received. {e}")))?;
    Ok((typed, normalized, warning))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::SPEC;

    fn read(body: serde_json::Value) -> Result<serde_json::Value, String> {
        SPEC.normalize("GenerateContentRequest", body)
            .map_err(|error| error.message)
    }

    fn with_config(config: serde_json::Value) -> serde_json::Value {
        json!({"contents": [{"parts": [{"text": "x"}]}], "generationConfig": config})
    }

    #[test]
    fn vertex_only_fields_are_unknown_to_the_gemini_api_and_read_by_vertex() {
        use crate::backend::Dialect;
        let body = with_config(json!({"imageConfig": {
            "personGeneration": "ALLOW_ADULT",
            "image_output_options": {"mimeType": "image/png"},
        }}));
        assert_eq!(
            read(body.clone()).unwrap_err(),
            "Invalid JSON payload received. Unknown name \"personGeneration\" at \
             'generation_config.image_config': Cannot find field."
        );
        let read = SPEC
            .normalize_as(Dialect::VertexAi, "GenerateContentRequest", body)
            .unwrap();
        assert_eq!(
            read["generationConfig"]["imageConfig"],
            json!({"personGeneration": "ALLOW_ADULT", "imageOutputOptions": {"mimeType": "image/png"}})
        );
        // The list is the spec's, not the code's: every listed name is a property.
        let image_config = SPEC.schema("ImageConfig").unwrap();
        let listed = image_config["x-vertex-only"].as_array().unwrap();
        assert_eq!(listed.len(), 3);
        for name in listed {
            assert!(
                image_config["properties"]
                    .get(name.as_str().unwrap())
                    .is_some()
            );
        }
    }

    #[test]
    fn enum_numbers_are_the_protos_not_positions_in_the_list() {
        let body = json!({"contents": [{"parts": [{"text": "x"}]}],
            "safetySettings": [{"category": 7, "threshold": 2}, {"category": 10, "threshold": "off"}]});
        let settings = read(body).map(|b| b["safetySettings"].clone());
        assert_eq!(
            settings,
            Ok(json!([
                {"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_MEDIUM_AND_ABOVE"},
                {"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "threshold": "OFF"},
            ]))
        );
        // 12 and up are Vertex-only categories, with no number in this API's proto.
        let vertex_only = json!({"contents": [{"parts": [{"text": "x"}]}],
            "safetySettings": [{"category": 12, "threshold": 2}]});
        assert!(
            read(vertex_only)
                .is_err_and(|m| m.contains("'safety_settings[0].category'") && m.ends_with(", 12"))
        );
    }

    #[test]
    fn modalities_by_name_in_any_case_or_by_number() {
        let read_modalities =
            |m: serde_json::Value| read(with_config(json!({"responseModalities": m})));
        assert_eq!(
            read_modalities(json!(["Text", 2])).map(|b| b["generationConfig"].clone()),
            Ok(json!({"responseModalities": ["TEXT", "IMAGE"]}))
        );
        // VIDEO is a name the SDKs know, with no number in the Gemini API's proto.
        assert!(read_modalities(json!([4])).is_err());
    }

    #[test]
    fn string_fields_take_strings_and_the_model_judges_the_image_config() {
        let image_config = |c: serde_json::Value| read(with_config(json!({"imageConfig": c})));
        assert!(image_config(json!({"aspectRatio": "16:9", "imageSize": "2K"})).is_ok());
        // Which sizes and ratios are right depends on the model (`check_image_config`): the
        // parser passes any string, as it is a plain string in Google's proto.
        assert!(image_config(json!({"imageSize": "2k", "aspectRatio": "7:3"})).is_ok());
        assert_eq!(
            image_config(json!({"aspectRatio": 3})),
            Err(
                "Invalid value at 'generation_config.image_config.aspect_ratio' (TYPE_STRING), 3"
                    .to_string()
            )
        );
    }

    #[test]
    fn a_field_given_as_null_is_a_field_not_given() {
        let body = json!({
            "contents": [{"role": null, "parts": [{"text": "x", "thought": null}]}],
            "systemInstruction": null,
            "safetySettings": null,
            "generationConfig": {"temperature": null, "responseModalities": null,
                "imageConfig": {"aspectRatio": null}, "thinkingConfig": null},
        });
        assert_eq!(
            read(body),
            Ok(json!({
                "contents": [{"parts": [{"text": "x"}]}],
                "generationConfig": {"imageConfig": {}},
            }))
        );
        // The upload start gemini-rust 2.1.0 sends when no display name is given.
        assert_eq!(
            SPEC.normalize("CreateFileRequest", json!({"file": {"displayName": null}}))
                .map_err(|error| error.message),
            Ok(json!({"file": {}}))
        );
        // A null does not make an unknown name known.
        assert_eq!(
            read(json!({"contents": [], "fooBar": null})),
            Err(
                "Invalid JSON payload received. Unknown name \"fooBar\": Cannot find field."
                    .to_string()
            )
        );
    }

    #[test]
    fn a_required_field_given_as_null_is_not_specified_as_when_missing() {
        let missing = read(json!({}));
        assert!(
            missing
                .as_ref()
                .is_err_and(|m| m.contains("contents is not specified")),
            "{missing:?}"
        );
        assert_eq!(read(json!({"contents": null})), missing);
        let blob = |blob: serde_json::Value| {
            read(json!({"contents": [{"parts": [{"inlineData": blob}]}]}))
        };
        let no_data = blob(json!({"mimeType": "image/png"}));
        assert!(no_data.is_err(), "{no_data:?}");
        assert_eq!(
            blob(json!({"mimeType": "image/png", "data": null})),
            no_data
        );
        // A list that must not be empty, given as null, is the empty list.
        let parts = |parts| read(json!({"contents": [{"parts": parts}]}));
        let empty = parts(json!([]));
        assert!(empty.is_err(), "{empty:?}");
        assert_eq!(parts(json!(null)), empty);
    }

    #[test]
    fn a_oneof_member_given_as_null_does_not_set_the_oneof() {
        let part = |part: serde_json::Value| {
            read(json!({"contents": [{"parts": [part]}]}))
                .map(|b| b["contents"][0]["parts"][0].clone())
        };
        assert_eq!(
            part(json!({"inlineData": null, "text": "x", "fileData": null})),
            Ok(json!({"text": "x"}))
        );
        let empty = part(json!({}));
        assert!(
            empty.as_ref().is_err_and(
                |m| m.contains("required oneof field 'data' must have one initialized field")
            ),
            "{empty:?}"
        );
        assert_eq!(part(json!({"text": null})), empty);
    }

    #[test]
    fn nulls_in_free_form_values_are_kept() {
        let body = json!({"contents": [{"parts": [
            {"functionCall": {"name": "f", "args": {"a": null, "b": [null]}}},
            {"functionResponse": {"name": "f", "response": {"result": null}}},
        ]}], "generationConfig": {"responseJsonSchema": null}});
        let read = read(body).unwrap();
        let parts = &read["contents"][0]["parts"];
        assert_eq!(
            parts[0]["functionCall"]["args"],
            json!({"a": null, "b": [null]})
        );
        assert_eq!(
            parts[1]["functionResponse"]["response"],
            json!({"result": null})
        );
        // A `google.protobuf.Value` field: null is its NULL value.
        assert_eq!(
            read["generationConfig"]
                .as_object()
                .map(|c| c.contains_key("responseJsonSchema")),
            Some(true)
        );
    }

    #[test]
    fn a_null_inside_a_list_or_a_typed_map_is_still_refused() {
        assert_eq!(
            read(json!({"contents": [null]})),
            Err(
                "Invalid value at 'contents[0]' (type.googleapis.com/google.ai.generativelanguage.v1beta.Content), null"
                    .to_string()
            )
        );
        let stops = read(with_config(json!({"stopSequences": ["a", null]})));
        assert_eq!(
            stops,
            Err(
                "Invalid value at 'generation_config.stop_sequences[1]' (TYPE_STRING), null"
                    .to_string()
            )
        );
        let labels = read(json!({"contents": [{"parts": [{"text": "x"}]}], "labels": {"a": null}}));
        assert!(labels.is_err(), "{labels:?}");
    }
}
