//! [`Base64Bytes`]: the one type for every `format: byte` field (image data, thought signatures,
//! Imagen's `bytesBase64Encoded`).
//!
//! Images are megabytes of base64 inside JSON. The bytes are decoded once, during
//! deserialization, with a SIMD decoder, straight from the borrowed JSON string into the buffer
//! that the user finally holds (a [`Bytes`], cheap to clone and to hand to other tasks).

use std::fmt;
use std::ops::Deref;

use bytes::Bytes;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

/// Decoded bytes that travel as base64 in JSON.
///
/// Deserializing accepts what Google's own parser accepts: the standard and the URL-safe
/// alphabets, padded or not (the official Python SDK sends URL-safe). Serializing writes the
/// standard alphabet with padding, as Google's servers do. Invalid base64 is a deserialization
/// error that says what is wrong — never a panic, never silently wrong bytes.
///
/// `Debug` shows the length and the first bytes, never megabytes of data.
///
/// ```
/// use gemini_sdk::Base64Bytes;
///
/// let standard: Base64Bytes = serde_json::from_str(r#""+/+/""#).unwrap();
/// let url_safe: Base64Bytes = serde_json::from_str(r#""-_-_""#).unwrap();
/// assert_eq!(standard, url_safe);
/// assert_eq!(&standard[..], &[0xfb, 0xff, 0xbf]);
/// assert_eq!(serde_json::to_string(&url_safe).unwrap(), r#""+/+/""#);
///
/// let err = serde_json::from_str::<Base64Bytes>(r#""ab!d""#).unwrap_err();
/// assert!(err.to_string().contains("'!' at offset 2"), "{err}");
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Base64Bytes(Bytes);

impl Base64Bytes {
    /// Wraps bytes that are already decoded.
    pub fn new(bytes: impl Into<Bytes>) -> Self {
        Self(bytes.into())
    }

    /// Decodes base64 text in any of the four forms Google accepts.
    ///
    /// ```
    /// use gemini_sdk::Base64Bytes;
    /// assert_eq!(&Base64Bytes::decode(b"aGk").unwrap()[..], b"hi");
    /// assert!(Base64Bytes::decode(b"a").is_err());
    /// ```
    pub fn decode(text: &[u8]) -> Result<Self, Base64Error> {
        decode(text).map(Self)
    }

    /// The standard, padded base64 text of the bytes (what Google's servers send).
    pub fn encode(&self) -> String {
        base64_simd::STANDARD.encode_to_string(&self.0)
    }

    /// The decoded bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The decoded bytes as a cheaply clonable [`Bytes`].
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl Deref for Base64Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Base64Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Bytes> for Base64Bytes {
    fn from(bytes: Bytes) -> Self {
        Self(bytes)
    }
}

impl From<Vec<u8>> for Base64Bytes {
    fn from(bytes: Vec<u8>) -> Self {
        Self(Bytes::from(bytes))
    }
}

impl From<&'static [u8]> for Base64Bytes {
    fn from(bytes: &'static [u8]) -> Self {
        Self(Bytes::from_static(bytes))
    }
}

impl From<Base64Bytes> for Bytes {
    fn from(value: Base64Bytes) -> Self {
        value.0
    }
}

impl fmt::Debug for Base64Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        write!(f, "Base64Bytes({} bytes", self.0.len())?;
        if !self.0.is_empty() {
            f.write_str(": ")?;
            for byte in self.0.iter().take(SHOWN) {
                write!(f, "{byte:02x}")?;
            }
            if self.0.len() > SHOWN {
                f.write_str("…")?;
            }
        }
        f.write_str(")")
    }
}

impl Serialize for Base64Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.encode())
    }
}

impl<'de> Deserialize<'de> for Base64Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Base64Visitor;

        impl Visitor<'_> for Base64Visitor {
            type Value = Base64Bytes;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a base64 string")
            }

            // `visit_str` sees the string borrowed from the body when it has no escapes, so
            // the only copy is the decode itself.
            fn visit_str<E: de::Error>(self, text: &str) -> Result<Self::Value, E> {
                Base64Bytes::decode(text.as_bytes()).map_err(E::custom)
            }
        }

        deserializer.deserialize_str(Base64Visitor)
    }
}

/// Why a string is not base64.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Base64Error {
    reason: String,
}

impl fmt::Display for Base64Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid base64: {}", self.reason)
    }
}

impl std::error::Error for Base64Error {}

fn decode(text: &[u8]) -> Result<Bytes, Base64Error> {
    // Servers send standard, padded base64: try that first and pay for nothing else. Only when
    // it fails do we try the URL-safe alphabet, and only when both fail do we spend time
    // finding out what exactly is wrong.
    let padded = text.len().is_multiple_of(4);
    let (standard, url_safe) = if padded {
        (base64_simd::STANDARD, base64_simd::URL_SAFE)
    } else {
        (base64_simd::STANDARD_NO_PAD, base64_simd::URL_SAFE_NO_PAD)
    };
    if let Ok(bytes) = standard.decode_to_vec(text) {
        return Ok(Bytes::from(bytes));
    }
    if let Ok(bytes) = url_safe.decode_to_vec(text) {
        return Ok(Bytes::from(bytes));
    }
    Err(Base64Error {
        reason: diagnose(text),
    })
}

/// Explains why `text` failed to decode in either alphabet.
fn diagnose(text: &[u8]) -> String {
    let is_standard = |b: u8| b == b'+' || b == b'/';
    let is_url_safe = |b: u8| b == b'-' || b == b'_';
    if let Some(offset) = text.iter().position(|&b| {
        !(b.is_ascii_alphanumeric() || is_standard(b) || is_url_safe(b) || b == b'=')
    }) {
        let shown = match text[offset] {
            b if b.is_ascii_graphic() || b == b' ' => format!("'{}'", b as char),
            b => format!("byte 0x{b:02x}"),
        };
        return format!("unexpected character {shown} at offset {offset}");
    }
    let data_len = text.iter().rposition(|&b| b != b'=').map_or(0, |i| i + 1);
    if let Some(offset) = text[..data_len].iter().position(|&b| b == b'=') {
        return format!("padding '=' at offset {offset} before the end");
    }
    let padding = text.len() - data_len;
    if padding > 2 || (padding > 0 && !text.len().is_multiple_of(4)) {
        return format!(
            "{padding} padding characters do not fit a length of {}",
            text.len()
        );
    }
    if data_len % 4 == 1 {
        return format!("length {data_len} is not a base64 length (one character is left over)");
    }
    if text.iter().any(|&b| is_standard(b)) && text.iter().any(|&b| is_url_safe(b)) {
        return "mixes the standard ('+', '/') and URL-safe ('-', '_') alphabets".to_string();
    }
    "the last character has bits set that the encoding leaves zero (non-canonical)".to_string()
}
