//! The OpenAPI spec the mock is built from (`openapi/gemini.yaml`, embedded), parsed once, and
//! the name conversions every reader of it needs: the validator, its compiled form, the
//! answer writer, the recorder.

use std::sync::LazyLock;

use serde_json::Value;

/// The spec, parsed once.
pub static SPEC: LazyLock<Spec> = LazyLock::new(|| {
    let text = gemini_image_types::SPEC_YAML;
    // The spec is part of this binary and tested in CI; failing here means a broken build.
    Spec(
        serde_norway::from_str(text)
            .expect("openapi/gemini.yaml embedded in the mock is valid YAML"),
    )
});

/// The OpenAPI spec as JSON.
pub struct Spec(pub Value);

/// Every schema object reachable from `components/schemas` (their properties, items,
/// additional properties and `oneOf`/`allOf`/`anyOf` members, at every depth), each once: what
/// the indexes over the spec (`validate::compiled`, `wire::order`) work out ahead.
pub(crate) fn every_schema() -> Vec<&'static Value> {
    let mut seen = std::collections::HashSet::new();
    let mut found = Vec::new();
    if let Some(Value::Object(schemas)) = SPEC.0.get("components").and_then(|c| c.get("schemas")) {
        for schema in schemas.values() {
            walk(schema, &mut seen, &mut found);
        }
    }
    found
}

fn walk(
    node: &'static Value,
    seen: &mut std::collections::HashSet<usize>,
    found: &mut Vec<&'static Value>,
) {
    let Value::Object(map) = node else {
        return;
    };
    if !seen.insert(address(node)) {
        return;
    }
    found.push(node);
    let members = ["oneOf", "allOf", "anyOf"]
        .into_iter()
        .filter_map(|key| map.get(key).and_then(Value::as_array))
        .flatten();
    let properties = map
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.values());
    ["items", "additionalProperties"]
        .into_iter()
        .filter_map(|key| map.get(key))
        .chain(members)
        .chain(properties)
        .for_each(|child| walk(child, seen, found));
}

/// A schema's address in the static spec: it names the schema for the life of the process.
pub(crate) fn address(node: &Value) -> usize {
    std::ptr::from_ref(node) as usize
}

/// The spec's YAML text, as served by the admin API.
pub const SPEC_YAML: &str = gemini_image_types::SPEC_YAML;

impl Spec {
    /// The component schema `name`.
    pub(crate) fn schema(&self, name: &str) -> Option<&Value> {
        self.0.get("components")?.get("schemas")?.get(name)
    }

    /// Follows `$ref`s to the schema they name.
    pub(crate) fn resolve<'a>(&'a self, mut node: &'a Value) -> &'a Value {
        while let Some(name) = ref_name(node) {
            match self.schema(name) {
                Some(target) => node = target,
                None => break,
            }
        }
        node
    }
}

/// The component name a `$ref` node points at.
pub(crate) fn ref_name(node: &Value) -> Option<&str> {
    node.get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
}

/// `generation_config` → `generationConfig`; a lowerCamel name is unchanged.
pub(crate) fn camel_case(snake: &str) -> String {
    let mut out = String::with_capacity(snake.len());
    let mut upper = false;
    for c in snake.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `generationConfig` → `generation_config`, as Google's messages name fields.
pub(crate) fn snake_case(camel: &str) -> String {
    let mut out = String::with_capacity(camel.len() + 4);
    for c in camel.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
