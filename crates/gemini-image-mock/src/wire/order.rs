//! What answer shaping asks of a schema, worked out once: for each schema object of the spec,
//! where each property it lists goes (its position and its schema) and an array's item schema,
//! its `$ref`s followed. Found by the schema's address in the static spec, as
//! `validate::compiled` finds its nodes, so that an answer is put in order without walking
//! `serde_json` maps of the spec (a lookup per listed property, for every object written).
//!
//! A schema the index does not hold (none, when the walk below is complete) is worked out on
//! the spot: a gap costs time, never a different order.

use std::borrow::Cow;
use std::sync::LazyLock;

use foldhash::HashMap;
use serde_json::Value;

use crate::spec::{SPEC, address, every_schema};

/// Every schema object reachable from `components/schemas`, by address.
static ORDERS: LazyLock<HashMap<usize, Order>> = LazyLock::new(|| {
    every_schema()
        .into_iter()
        .map(|schema| (address(schema), Order::of(schema)))
        .collect()
});

/// Where the keys of a value of one schema go.
#[derive(Clone)]
pub(super) struct Order {
    /// The properties the schema lists, by name: their place in the spec's order and their
    /// schema. `None` when the schema lists none (an object of it is left as it is).
    pub(super) properties: Option<HashMap<&'static str, (usize, &'static Value)>>,
    /// An array's item schema.
    pub(super) items: Option<&'static Value>,
}

impl Order {
    fn of(node: &'static Value) -> Self {
        let node = SPEC.resolve(node);
        Self {
            properties: node
                .get("properties")
                .and_then(Value::as_object)
                .map(|properties| {
                    properties
                        .iter()
                        .enumerate()
                        .map(|(place, (name, schema))| (name.as_str(), (place, schema)))
                        .collect()
                }),
            items: node.get("items"),
        }
    }
}

/// The order of `node`, a schema of the spec.
pub(super) fn of(node: &'static Value) -> Cow<'static, Order> {
    match ORDERS.get(&address(node)) {
        Some(order) => Cow::Borrowed(order),
        None => Cow::Owned(Order::of(node)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_an_answer_reaches_is_in_the_index() {
        // The walk reaches the properties' and items' schemas: a response's nested objects are
        // looked up, not worked out per answer.
        let response = SPEC.schema("GenerateContentResponse").expect("in the spec");
        assert!(matches!(of(response), Cow::Borrowed(_)));
        let candidates = match &of(response).properties {
            Some(properties) => properties.get("candidates").map(|(_, schema)| *schema),
            None => None,
        }
        .expect("candidates listed");
        let order = of(candidates);
        assert!(matches!(order, Cow::Borrowed(_)));
        let item = order.items.expect("an array");
        assert!(matches!(of(item), Cow::Borrowed(_)));
        assert!(
            of(item)
                .properties
                .as_ref()
                .is_some_and(|p| p.contains_key("content"))
        );
    }
}
