//! A request in the form Google's parser reads it, so that two spellings of one request are
//! one key: names in lowerCamel (proto JSON accepts `snake_case` too), objects without key
//! order, base64 in either alphabet compared by the SHA-256 of its decoded bytes, enum values
//! in any case, int64 as a string or a number, `models/` on a model name or not, nulls and
//! empty messages left out (proto JSON reads them as absent), and the API version ignored
//! unless asked for.

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::blobs::{self, BASE64_KEYS};
use crate::spec::camel_case as lower_camel;

/// Fields whose string is an enum value, which Google's parser reads in any case. The spec's
/// enums are open (`x-open-enum`), so the list is kept here rather than read from it.
const ENUM_KEYS: &[&str] = &[
    "responseModalities",
    "category",
    "threshold",
    "method",
    "mediaResolution",
    "personGeneration",
    "safetyFilterLevel",
    "mode",
    "thinkingLevel",
];

/// One JSON value as Google reads it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Norm {
    /// `true` or `false`.
    Bool(bool),
    /// An integer, whether sent as a number, an integral float or a canonical decimal string.
    Int(i128),
    /// A float that is not integral, by its bits.
    Float(u64),
    /// Any other string.
    Text(String),
    /// Base64 bytes: the SHA-256 of what they decode to.
    Bytes([u8; 32]),
    /// An enum value, upper-cased.
    Enum(String),
    /// An array.
    List(Vec<Norm>),
    /// An object, its keys in lowerCamel and sorted.
    Map(BTreeMap<String, Norm>),
}

/// How requests are compared.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MatchRules {
    /// Whether `/v1/…` and `/v1beta/…` are different requests (default: no).
    pub api_version: bool,
}

/// What decides which recording answers a request.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestKey {
    /// `GET`, `POST`, … (upper case).
    pub method: String,
    /// The path, the version segment replaced by `{version}` unless it counts.
    pub path: String,
    /// Whether the answer is a stream (`alt=sse`, or `Accept: text/event-stream`).
    pub sse: bool,
    /// The query's other parameters, sorted (`key` and `alt` left out).
    pub query: BTreeMap<String, String>,
    /// The body as Google reads it (`None`: empty, or a JSON `null`/`{}`).
    pub body: Option<Norm>,
}

impl RequestKey {
    /// The key of a request: its method, path, query pairs, `Accept` header and body (JSON, or
    /// other bytes compared by hash).
    pub fn new(
        method: &str,
        path: &str,
        query: &[(String, String)],
        accept: Option<&str>,
        body: &KeyBody<'_>,
        rules: MatchRules,
    ) -> Self {
        let alt_sse = query.iter().any(|(k, v)| k == "alt" && v == "sse");
        let accept_sse = accept.is_some_and(|a| a.contains("text/event-stream"));
        Self {
            method: method.to_ascii_uppercase(),
            path: normalise_path(path, rules),
            sse: alt_sse || accept_sse,
            query: query
                .iter()
                .filter(|(k, _)| k != "key" && k != "alt")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            body: match body {
                KeyBody::Empty => None,
                KeyBody::Json(value) => normalise(value, None),
                KeyBody::Bytes(bytes) => Some(Norm::Bytes(Sha256::digest(bytes).into())),
                KeyBody::Digest(digest) => Some(Norm::Bytes(*digest)),
            },
        }
    }
}

/// A request body as the key reads it.
pub enum KeyBody<'a> {
    /// No body.
    Empty,
    /// A JSON body (blob references read as the bytes they name).
    Json(&'a Value),
    /// Any other body.
    Bytes(&'a [u8]),
    /// Any other body, by the SHA-256 of its bytes (a recording's body blob).
    Digest([u8; 32]),
}

fn normalise_path(path: &str, rules: MatchRules) -> String {
    path.split('/')
        .map(|segment| {
            if !rules.api_version && is_version(segment) {
                "{version}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// `v1`, `v1beta`, `v1alpha`, `v1beta1`, `v2` …
fn is_version(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let rest = &rest[digits..];
    let rest = rest
        .strip_prefix("alpha")
        .or_else(|| rest.strip_prefix("beta"))
        .unwrap_or(rest);
    rest.bytes().all(|b| b.is_ascii_digit())
}

/// `value` (the value of field `key`, if in an object) as Google reads it; `None` for what
/// proto JSON reads as absent.
fn normalise(value: &Value, key: Option<&str>) -> Option<Norm> {
    match value {
        Value::Null => None,
        Value::Bool(b) => Some(Norm::Bool(*b)),
        Value::Number(n) => Some(number(n)),
        Value::String(text) => Some(string(text, key)),
        Value::Array(items) => {
            let items: Vec<Norm> = items.iter().filter_map(|v| normalise(v, key)).collect();
            (!items.is_empty()).then_some(Norm::List(items))
        }
        Value::Object(map) => {
            if let Some(digest) = blobs::reference_digest(map) {
                return Some(Norm::Bytes(digest));
            }
            let map: BTreeMap<String, Norm> = map
                .iter()
                .filter_map(|(k, v)| {
                    let k = lower_camel(k);
                    normalise(v, Some(&k)).map(|v| (k, v))
                })
                .collect();
            (!map.is_empty()).then_some(Norm::Map(map))
        }
    }
}

fn number(n: &serde_json::Number) -> Norm {
    if let Some(i) = n.as_i64() {
        return Norm::Int(i128::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Norm::Int(i128::from(u));
    }
    let f = n.as_f64().unwrap_or(0.0);
    // An integral float is the integer (int64 fields accept `5.0`); below 2^63 it is exact.
    if f.fract() == 0.0 && f.abs() < 9.2e18 {
        #[allow(clippy::cast_possible_truncation)]
        return Norm::Int(f as i128);
    }
    Norm::Float(f.to_bits())
}

fn string(text: &str, key: Option<&str>) -> Norm {
    let key = key.unwrap_or("");
    if BASE64_KEYS.contains(&key)
        && let Ok(bytes) = gemini_image_types::Base64Bytes::decode(text.as_bytes())
    {
        return Norm::Bytes(Sha256::digest(bytes.as_bytes()).into());
    }
    if ENUM_KEYS.contains(&key) {
        return Norm::Enum(text.to_ascii_uppercase());
    }
    if key == "model" {
        // A model's name is a name, even when it is all digits.
        return Norm::Text(text.strip_prefix("models/").unwrap_or(text).to_owned());
    }
    if let Some(i) = canonical_integer(text) {
        return Norm::Int(i);
    }
    Norm::Text(text.to_owned())
}

/// An int64 sent as a string, written the one way `i64::to_string` writes it (so `"007"`
/// stays a string).
fn canonical_integer(text: &str) -> Option<i128> {
    let value: i64 = text.parse().ok()?;
    (value.to_string() == text).then_some(i128::from(value))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(body: &Value) -> RequestKey {
        RequestKey::new(
            "post",
            "/v1beta/models/m:generateContent",
            &[],
            None,
            &KeyBody::Json(body),
            MatchRules::default(),
        )
    }

    #[test]
    fn spellings_of_one_request_are_one_key() {
        let a = json!({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "+/+/"}}]}],
                       "generationConfig": {"responseModalities": ["IMAGE"], "seed": 5}});
        let b = json!({"generation_config": {"seed": "5", "response_modalities": ["image"]},
                       "contents": [{"parts": [{"inline_data": {"data": "-_-_", "mime_type": "image/png"}}]}],
                       "safetySettings": []});
        assert_eq!(key(&a), key(&b));
    }

    #[test]
    fn different_requests_are_different_keys() {
        let a = json!({"contents": [{"parts": [{"text": "a red bicycle"}]}]});
        let b = json!({"contents": [{"parts": [{"text": "a blue bicycle"}]}]});
        assert_ne!(key(&a), key(&b));
        let c = json!({"contents": [{"parts": [{"text": "007"}]}]});
        let d = json!({"contents": [{"parts": [{"text": "7"}]}]});
        assert_ne!(key(&c), key(&d));
    }

    #[test]
    fn the_version_counts_only_when_asked() {
        let path = |p: &str, api_version| {
            RequestKey::new(
                "GET",
                p,
                &[],
                None,
                &KeyBody::Empty,
                MatchRules { api_version },
            )
        };
        assert_eq!(path("/v1/models", false), path("/v1beta/models", false));
        assert_ne!(path("/v1/models", true), path("/v1beta/models", true));
        assert!(!is_version("video"));
        assert!(is_version("v1beta1"));
    }

    /// A request as a test builds it, spelled two ways.
    #[derive(Clone, Debug, PartialEq)]
    struct Request {
        texts: Vec<String>,
        image: Option<Vec<u8>>,
        seed: Option<i64>,
        image_only: bool,
        temperature: Option<f64>,
        model: Option<String>,
    }

    /// How a spelling differs from the plain one.
    #[derive(Clone, Copy, Debug)]
    struct Spelling {
        snake: bool,
        url_safe: bool,
        seed_as_string: bool,
        lower_enums: bool,
        reversed: bool,
        prefixed_model: bool,
        version_v1: bool,
        empty_extras: bool,
    }

    fn object(pairs: Vec<(&str, Value)>, spelling: Spelling) -> Value {
        let mut pairs: Vec<(String, Value)> = pairs
            .into_iter()
            .map(|(k, v)| {
                let k = if spelling.snake {
                    snake(k)
                } else {
                    k.to_owned()
                };
                (k, v)
            })
            .collect();
        if spelling.reversed {
            pairs.reverse();
        }
        Value::Object(pairs.into_iter().collect())
    }

    fn snake(key: &str) -> String {
        key.chars()
            .flat_map(|c| {
                if c.is_ascii_uppercase() {
                    vec!['_', c.to_ascii_lowercase()]
                } else {
                    vec![c]
                }
            })
            .collect()
    }

    fn spell(request: &Request, spelling: Spelling) -> (String, Value) {
        let mut parts: Vec<Value> = request
            .texts
            .iter()
            .map(|t| object(vec![("text", json!(t))], spelling))
            .collect();
        if let Some(image) = &request.image {
            let mut data = gemini_image_types::Base64Bytes::new(image.clone()).encode();
            if spelling.url_safe {
                data = data.replace('+', "-").replace('/', "_").replace('=', "");
            }
            let blob = object(
                vec![("mimeType", json!("image/png")), ("data", json!(data))],
                spelling,
            );
            parts.push(object(vec![("inlineData", blob)], spelling));
        }
        let modalities = if request.image_only {
            vec!["IMAGE"]
        } else {
            vec!["TEXT", "IMAGE"]
        };
        let modalities: Vec<Value> = modalities
            .into_iter()
            .map(|m| {
                json!(if spelling.lower_enums {
                    m.to_ascii_lowercase()
                } else {
                    m.to_owned()
                })
            })
            .collect();
        let mut config = vec![("responseModalities", Value::Array(modalities))];
        if let Some(seed) = request.seed {
            let seed = if spelling.seed_as_string {
                json!(seed.to_string())
            } else {
                json!(seed)
            };
            config.push(("seed", seed));
        }
        if let Some(temperature) = request.temperature {
            config.push(("temperature", json!(temperature)));
        }
        if spelling.empty_extras {
            config.push(("stopSequences", json!([])));
            config.push(("topK", Value::Null));
        }
        let content = object(
            vec![("role", json!("user")), ("parts", Value::Array(parts))],
            spelling,
        );
        let mut top = vec![
            ("contents", json!([content])),
            ("generationConfig", object(config, spelling)),
        ];
        if let Some(model) = &request.model {
            let model = if spelling.prefixed_model {
                format!("models/{model}")
            } else {
                model.clone()
            };
            top.push(("model", json!(model)));
        }
        if spelling.empty_extras {
            top.push(("safetySettings", json!([])));
            top.push(("toolConfig", json!({})));
        }
        let version = if spelling.version_v1 { "v1" } else { "v1beta" };
        (
            format!("/{version}/models/m:generateContent"),
            object(top, spelling),
        )
    }

    fn key_of(request: &Request, spelling: Spelling) -> RequestKey {
        let (path, body) = spell(request, spelling);
        RequestKey::new(
            "POST",
            &path,
            &[],
            None,
            &KeyBody::Json(&body),
            MatchRules::default(),
        )
    }

    fn requests() -> impl Strategy<Value = Request> {
        (
            proptest::collection::vec("[a-zA-Z0-9 ]{1,12}", 1..3),
            proptest::option::of(proptest::collection::vec(any::<u8>(), 1..48)),
            proptest::option::of(any::<i64>()),
            any::<bool>(),
            proptest::option::of(prop_oneof![Just(0.0), Just(0.5), Just(1.0), Just(1.5)]),
            proptest::option::of("[a-z0-9.-]{1,10}"),
        )
            .prop_map(
                |(texts, image, seed, image_only, temperature, model)| Request {
                    texts,
                    image,
                    seed,
                    image_only,
                    temperature,
                    model,
                },
            )
    }

    fn spellings() -> impl Strategy<Value = Spelling> {
        proptest::collection::vec(any::<bool>(), 8).prop_map(|b| Spelling {
            snake: b[0],
            url_safe: b[1],
            seed_as_string: b[2],
            lower_enums: b[3],
            reversed: b[4],
            prefixed_model: b[5],
            version_v1: b[6],
            empty_extras: b[7],
        })
    }

    const PLAIN: Spelling = Spelling {
        snake: false,
        url_safe: false,
        seed_as_string: false,
        lower_enums: false,
        reversed: false,
        prefixed_model: false,
        version_v1: false,
        empty_extras: false,
    };

    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 256,
            failure_persistence: None,
            rng_seed: proptest::test_runner::RngSeed::Fixed(20),
            ..ProptestConfig::default()
        })]

        #[test]
        fn two_spellings_of_one_request_always_match(request in requests(), spelling in spellings()) {
            prop_assert_eq!(key_of(&request, PLAIN), key_of(&request, spelling));
        }

        #[test]
        fn two_different_requests_never_match(
            a in requests(),
            b in requests(),
            spelling_a in spellings(),
            spelling_b in spellings(),
        ) {
            prop_assume!(a != b);
            prop_assert_ne!(key_of(&a, spelling_a), key_of(&b, spelling_b));
        }
    }
}
