//! The spec's schemas compiled once into what the reader asks of them per value, so that a
//! request is read without walking `serde_json` maps: each schema object of the spec becomes a
//! [`Node`] (its kind decided, its `$ref` followed, its properties in a foldhash map with their
//! snake_case names, oneofs and flags worked out), found by the schema's address in the spec.
//!
//! The spec is a `static` that is never changed, so a schema's address names it for the life of
//! the process; a schema the index does not hold (none, when the walk below is complete) is
//! compiled on the spot, so a gap costs time, never a different reading.

use std::sync::{LazyLock, Mutex};

use foldhash::HashMap;
use serde_json::{Map, Value};

use crate::spec::{SPEC, address, camel_case, every_schema, ref_name, snake_case};

/// Every schema object reachable from `components/schemas`, compiled, by address.
static COMPILED: LazyLock<HashMap<usize, Node>> = LazyLock::new(|| {
    every_schema()
        .into_iter()
        .map(|schema| (address(schema), Node::compile(schema)))
        .collect()
});

/// Schemas compiled after the index, should the walk below ever miss one: each is compiled
/// once and kept, so this holds at most as many nodes as the spec has.
static LATE: LazyLock<Mutex<HashMap<usize, &'static Node>>> = LazyLock::new(Mutex::default);

/// The compiled form of `node`, a schema of the spec.
pub(super) fn node(node: &'static Value) -> &'static Node {
    if let Some(compiled) = COMPILED.get(&address(node)) {
        return compiled;
    }
    let mut late = LATE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    late.entry(address(node))
        .or_insert_with(|| Box::leak(Box::new(Node::compile(node))))
}

/// What the reader does with a value of a schema.
pub(super) enum Node {
    /// `$ref`: the schema it names (refs followed to the end) and the name it was given.
    Ref {
        name: &'static str,
        target: &'static Value,
    },
    /// `x-open-enum` / `x-open-union`: read as its known member (`oneOf[0]`, refs followed),
    /// named by that member's `$ref`.
    Open {
        known: &'static Value,
        name: Option<&'static str>,
    },
    /// `oneOf`: a union.
    Union,
    /// `enum`: its values.
    Enum(&'static [Value]),
    /// `type: object` with `properties`.
    Message(Box<Message>),
    /// `type: object` without `properties`: a map whose values are of `Some(schema)`, or a
    /// free-form object (`None`).
    Map(Option<&'static Value>),
    /// `type: array`.
    Array {
        items: &'static Value,
        item_type: Option<&'static str>,
        max_items: Option<u64>,
        max_items_message: Option<&'static str>,
    },
    String(Option<&'static str>),
    Integer(Option<&'static str>),
    Number(Option<&'static str>),
    Boolean,
    /// No type: any JSON value (`google.protobuf.Value`).
    Any,
}

/// A message's fields and rules.
pub(super) struct Message {
    /// By the name the spec gives (lowerCamel).
    pub properties: HashMap<&'static str, Property>,
    /// The oneofs, by name: their members.
    pub oneofs: HashMap<&'static str, Vec<&'static str>>,
    /// `required` then `x-required-in-request`, in the spec's order.
    pub required: Vec<&'static str>,
    /// `x-nonempty-in-request`: field and message.
    pub nonempty: Vec<(&'static str, &'static str)>,
}

/// One field of a message.
pub(super) struct Property {
    /// The name as the spec spells it.
    pub name: &'static str,
    /// The name in error paths (the proto's snake_case).
    pub snake: String,
    pub schema: &'static Value,
    /// Listed in the message's `x-vertex-only`.
    pub vertex_only: bool,
    /// A `google.protobuf.Value` field, where `null` is a value.
    pub any_value: bool,
    /// The oneof it belongs to.
    pub oneof: Option<&'static str>,
}

impl Message {
    /// The property for a key sent as lowerCamel or as the proto's snake_case name.
    pub fn property(&self, key: &str) -> Option<&Property> {
        if let Some(property) = self.properties.get(key) {
            return Some(property);
        }
        if key.contains('_') {
            return self.properties.get(camel_case(key).as_str());
        }
        None
    }

    pub fn is_oneof(&self, name: &str) -> bool {
        self.oneofs.contains_key(name)
    }

    pub fn members(&self, oneof: &str) -> impl Iterator<Item = &'static str> + '_ {
        self.oneofs.get(oneof).into_iter().flatten().copied()
    }
}

impl Node {
    fn compile(node: &'static Value) -> Self {
        if let Some(name) = ref_name(node) {
            return Node::Ref {
                name,
                target: resolve(node),
            };
        }
        let flag = |key: &str| node.get(key).and_then(Value::as_bool) == Some(true);
        if flag("x-open-enum") || flag("x-open-union") {
            let known = &node["oneOf"][0];
            return Node::Open {
                known: resolve(known),
                name: ref_name(known),
            };
        }
        if node.get("oneOf").is_some() {
            return Node::Union;
        }
        if let Some(values) = node.get("enum").and_then(Value::as_array) {
            return Node::Enum(values);
        }
        let format = node.get("format").and_then(Value::as_str);
        match node.get("type").and_then(Value::as_str) {
            Some("object") => match node.get("properties").and_then(Value::as_object) {
                Some(properties) => Node::Message(Box::new(message(node, properties))),
                None => Node::Map(match node.get("additionalProperties") {
                    Some(schema @ Value::Object(map)) if !map.is_empty() => Some(schema),
                    _ => None,
                }),
            },
            Some("array") => Node::Array {
                items: &node["items"],
                item_type: ref_name(&node["items"]),
                max_items: node.get("maxItems").and_then(Value::as_u64),
                max_items_message: node.get("x-max-items-message").and_then(Value::as_str),
            },
            Some("string") => Node::String(format),
            Some("integer") => Node::Integer(format),
            Some("number") => Node::Number(format),
            Some("boolean") => Node::Boolean,
            _ => Node::Any,
        }
    }
}

fn message(node: &'static Value, properties: &'static Map<String, Value>) -> Message {
    let strings = |key: &str| -> Vec<&'static str> {
        node.get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect()
    };
    let vertex_only = strings("x-vertex-only");
    let oneof_map = node.get("x-oneof").and_then(Value::as_object);
    let oneofs: HashMap<&'static str, Vec<&'static str>> = oneof_map
        .into_iter()
        .flatten()
        .map(|(oneof, members)| {
            let members = members
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            (oneof.as_str(), members)
        })
        .collect();
    let properties = properties
        .iter()
        .map(|(name, schema)| {
            let name = name.as_str();
            // The first oneof, in the spec's order, that lists it.
            let oneof = oneof_map
                .into_iter()
                .flatten()
                .find_map(|(oneof, members)| {
                    members
                        .as_array()?
                        .iter()
                        .any(|m| m.as_str() == Some(name))
                        .then_some(oneof.as_str())
                });
            let property = Property {
                name,
                snake: snake_case(name),
                schema,
                vertex_only: vertex_only.contains(&name),
                any_value: is_any_value(schema),
                oneof,
            };
            (name, property)
        })
        .collect();
    let mut required = strings("required");
    required.extend(strings("x-required-in-request"));
    let nonempty = node
        .get("x-nonempty-in-request")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(field, message)| {
            (
                field.as_str(),
                message.as_str().unwrap_or("must not be empty"),
            )
        })
        .collect();
    Message {
        properties,
        oneofs,
        required,
        nonempty,
    }
}

/// Follows `$ref`s to the schema they name.
fn resolve(node: &'static Value) -> &'static Value {
    SPEC.resolve(node)
}

/// Whether `node` is any JSON value (`google.protobuf.Value`): the reader gives it no type.
fn is_any_value(node: &'static Value) -> bool {
    let node = resolve(node);
    node.get("type").is_none()
        && node.get("enum").is_none()
        && node.get("x-open-enum").is_none()
        && node.get("oneOf").is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The index holds every schema the reader meets: a gap would compile on each request.
    #[test]
    fn every_schema_reachable_from_the_components_is_compiled_once() {
        let schemas = SPEC.0["components"]["schemas"].as_object().unwrap();
        let request = &schemas["GenerateContentRequest"];
        assert!(COMPILED.contains_key(&address(request)));
        let Node::Message(message) = node(request) else {
            panic!("GenerateContentRequest is a message");
        };
        let contents = message.property("contents").unwrap();
        assert!(COMPILED.contains_key(&address(contents.schema)));
        assert_eq!(
            message.property("system_instruction").unwrap().snake,
            "system_instruction"
        );
        assert!(message.required.contains(&"contents"));
        assert!(COMPILED.len() > schemas.len());
        assert!(LATE.lock().unwrap().is_empty(), "the walk missed a schema");
    }
}
