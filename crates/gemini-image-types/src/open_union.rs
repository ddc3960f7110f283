//! [`OpenUnion`]: a `type`-tagged union value that survives members newer than this crate.
//!
//! The Interactions API tags its steps, content blocks and deltas with `type` and adds new ones
//! without notice (`google_search_call`, `retrieval_result` … arrived after the first SDKs).
//! gemini-rust's closed enums fail a whole call on one new step; ours keep it as its JSON. The
//! spec marks such a union's wrapper `x-open-union` and `cargo xtask regen` maps it here.

use serde::de::{self, Deserialize, Deserializer};
use serde::ser::{Serialize, Serializer};
use serde_json::{Map, Value};

/// A member of the union `T` as known to this crate, or a newer member kept as its JSON.
///
/// ```
/// use gemini_image_types::OpenUnion;
/// use serde::Deserialize;
///
/// #[derive(Debug, Deserialize, serde::Serialize, PartialEq)]
/// #[serde(tag = "type", rename_all = "snake_case")]
/// enum Step {
///     Thought { signature: Option<String> },
/// }
///
/// let known: OpenUnion<Step> = serde_json::from_str(r#"{"type":"thought","signature":"c2ln"}"#).unwrap();
/// assert!(known.is_known());
/// let newer: OpenUnion<Step> = serde_json::from_str(r#"{"type":"retrieval_call","id":"r1"}"#).unwrap();
/// assert_eq!(newer.unknown_type(), Some("retrieval_call"));
/// assert_eq!(
///     serde_json::to_value(&newer).unwrap(),
///     serde_json::json!({"type": "retrieval_call", "id": "r1"})
/// );
/// // A known member that is malformed is an error, not an unknown member.
/// assert!(serde_json::from_str::<OpenUnion<Step>>(r#"{"type":"thought","signature":7}"#).is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum OpenUnion<T> {
    /// A member this crate knows.
    Known(T),
    /// A member added to the API after this crate was generated, exactly as it was received.
    Unknown(Map<String, Value>),
}

impl<T> OpenUnion<T> {
    /// The known member, if it is one.
    pub fn known(&self) -> Option<&T> {
        match self {
            Self::Known(value) => Some(value),
            Self::Unknown(_) => None,
        }
    }

    /// Whether this crate knows the member.
    pub fn is_known(&self) -> bool {
        matches!(self, Self::Known(_))
    }

    /// The tag of a member this crate does not know: its `type` (steps, contents), or its
    /// `event_type` (stream events).
    pub fn unknown_type(&self) -> Option<&str> {
        match self {
            Self::Known(_) => None,
            Self::Unknown(fields) => fields
                .get("type")
                .or_else(|| fields.get("event_type"))
                .and_then(Value::as_str),
        }
    }
}

impl<T> From<T> for OpenUnion<T> {
    fn from(value: T) -> Self {
        Self::Known(value)
    }
}

impl<T: Serialize> Serialize for OpenUnion<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Known(value) => value.serialize(serializer),
            Self::Unknown(fields) => fields.serialize(serializer),
        }
    }
}

impl<'de, T: for<'a> Deserialize<'a>> Deserialize<'de> for OpenUnion<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        if !value.is_object() {
            return Err(de::Error::custom("a union member must be a JSON object"));
        }
        match T::deserialize(&value) {
            Ok(known) => Ok(Self::Known(known)),
            // serde's tagged enums say so when the tag names no variant (or no variant of an
            // untagged union matches): only then is the member a newer one. Any other error is
            // a malformed known member, and an error it stays.
            Err(error) if is_unknown_member(&error.to_string()) => match value {
                Value::Object(fields) => Ok(Self::Unknown(fields)),
                _ => Err(de::Error::custom("a union member must be a JSON object")),
            },
            Err(error) => Err(de::Error::custom(error)),
        }
    }
}

fn is_unknown_member(message: &str) -> bool {
    message.starts_with("unknown variant")
        || message.starts_with("data did not match any variant of untagged enum")
}
