//! [`OpenEnum`]: an enum value that survives values newer than this crate.
//!
//! Google adds enum values without notice (`IMAGE_SAFETY`, `NO_IMAGE`, … arrived years after
//! `FinishReason` did). A closed Rust enum would turn each new value into a failed response and a
//! lost image. Every enum field of the generated types is therefore an `OpenEnum<KnownValues>`:
//! the spec declares the wrapper (`x-open-enum`) and `cargo xtask regen` maps it here.

use std::fmt;
use std::str::FromStr;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

/// A value of the enum `T` as known to this crate, or a newer value kept as its wire string.
///
/// ```
/// use gemini_image_types::OpenEnum;
/// use gemini_image_types::types::FinishReason;
///
/// let known: OpenEnum<FinishReason> = serde_json::from_str("\"IMAGE_SAFETY\"").unwrap();
/// assert_eq!(known, FinishReason::ImageSafety);
///
/// let newer: OpenEnum<FinishReason> = serde_json::from_str("\"SOMETHING_NEW\"").unwrap();
/// assert_eq!(newer.unknown(), Some("SOMETHING_NEW"));
/// assert_eq!(serde_json::to_string(&newer).unwrap(), "\"SOMETHING_NEW\"");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpenEnum<T> {
    /// A value this crate knows.
    Known(T),
    /// A value added to the API after this crate was generated, exactly as it was received.
    Unknown(String),
}

impl<T> OpenEnum<T> {
    /// The known value, if it is one.
    pub fn known(&self) -> Option<&T> {
        match self {
            Self::Known(value) => Some(value),
            Self::Unknown(_) => None,
        }
    }

    /// The wire string of a value this crate does not know.
    pub fn unknown(&self) -> Option<&str> {
        match self {
            Self::Known(_) => None,
            Self::Unknown(value) => Some(value),
        }
    }

    /// Whether this crate knows the value.
    pub fn is_known(&self) -> bool {
        matches!(self, Self::Known(_))
    }
}

impl<T> From<T> for OpenEnum<T> {
    fn from(value: T) -> Self {
        Self::Known(value)
    }
}

/// Compare with a known value directly: `reason == FinishReason::Stop`.
impl<T: PartialEq> PartialEq<T> for OpenEnum<T> {
    fn eq(&self, other: &T) -> bool {
        self.known() == Some(other)
    }
}

impl<T: fmt::Display> fmt::Display for OpenEnum<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Known(value) => value.fmt(f),
            Self::Unknown(value) => f.write_str(value),
        }
    }
}

/// Never fails: a string that is not a known value becomes [`OpenEnum::Unknown`].
impl<T: FromStr> FromStr for OpenEnum<T> {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(value
            .parse()
            .map_or_else(|_| Self::Unknown(value.to_owned()), Self::Known))
    }
}

impl<T: Serialize> Serialize for OpenEnum<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Known(value) => value.serialize(serializer),
            Self::Unknown(value) => serializer.serialize_str(value),
        }
    }
}

impl<'de, T: FromStr> Deserialize<'de> for OpenEnum<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OpenEnumVisitor<T>(std::marker::PhantomData<T>);

        impl<T: FromStr> Visitor<'_> for OpenEnumVisitor<T> {
            type Value = OpenEnum<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an enum value name (a string)")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                let Ok(parsed) = value.parse::<OpenEnum<T>>();
                Ok(parsed)
            }
        }

        deserializer.deserialize_str(OpenEnumVisitor(std::marker::PhantomData))
    }
}
