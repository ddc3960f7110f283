//! Base64 payloads (images, thought signatures) moved out of a recording's JSON into
//! `blobs/<sha256>.<ext>` beside it, so that a diff of a recording shows text. A payload is
//! replaced by `{"$blob": "blobs/<sha256>.<ext>"}`, and put back as the same base64 text when
//! replayed: only text that standard, padded base64 writes back byte for byte is moved (what
//! Google and the SDKs send); anything else stays inline.

use std::path::Path;

use bytes::Bytes;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::validate::camel_case;

/// Fields whose string is base64 bytes (images, thought signatures), by their lowerCamel name:
/// moved out here, and compared by the hash of their bytes when matching.
pub const BASE64_KEYS: &[&str] = &["data", "bytesBase64Encoded", "thoughtSignature"];

/// The key of a blob reference.
const BLOB_KEY: &str = "$blob";
/// The folder of blobs, beside the recordings.
pub const BLOB_DIR: &str = "blobs";
/// Base64 shorter than this stays inline.
pub const INLINE_BELOW: usize = 512;

/// A payload moved out of the JSON: its file name under `blobs/` and its decoded bytes.
pub struct Blob {
    /// `<sha256 hex>.<ext>`.
    pub name: String,
    /// The decoded bytes.
    pub bytes: Bytes,
}

/// Replaces each long base64 payload in `value` by a reference, and returns the payloads.
pub fn extract(value: &mut Value, blobs: &mut Vec<Blob>) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(|v| extract(v, blobs)),
        Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                if let Value::String(text) = field
                    && BASE64_KEYS.contains(&camel_case(key).as_str())
                    && let Some(blob) = movable(text)
                {
                    *field = reference(&blob.name);
                    blobs.push(blob);
                } else {
                    extract(field, blobs);
                }
            }
        }
        _ => {}
    }
}

/// The blob of `text` when it is long base64 that re-encodes to itself.
fn movable(text: &str) -> Option<Blob> {
    if text.len() < INLINE_BELOW {
        return None;
    }
    let decoded = gemini_image_types::Base64Bytes::decode(text.as_bytes()).ok()?;
    if decoded.encode() != text {
        return None;
    }
    Some(named(decoded.into_bytes()))
}

/// `bytes` as a blob named by their SHA-256 and, for an image, its format's extension.
pub fn named(bytes: Bytes) -> Blob {
    let digest: [u8; 32] = Sha256::digest(&bytes).into();
    let extension = image::guess_format(&bytes)
        .ok()
        .and_then(|format| format.extensions_str().first().copied())
        .unwrap_or("bin");
    Blob {
        name: format!("{}.{extension}", hex(&digest)),
        bytes,
    }
}

fn reference(name: &str) -> Value {
    let mut map = Map::new();
    map.insert(BLOB_KEY.into(), Value::String(format!("{BLOB_DIR}/{name}")));
    Value::Object(map)
}

/// The SHA-256 a blob reference names (its file name), when `map` is one.
pub fn reference_digest(map: &Map<String, Value>) -> Option<[u8; 32]> {
    path_digest(reference_path(map)?)
}

/// The SHA-256 a blob's path (`blobs/<sha256>.<ext>`) names.
pub fn path_digest(path: &str) -> Option<[u8; 32]> {
    let hex_digest = path.strip_prefix("blobs/")?.split('.').next()?;
    unhex(hex_digest)
}

fn reference_path(map: &Map<String, Value>) -> Option<&str> {
    if map.len() != 1 {
        return None;
    }
    map.get(BLOB_KEY)?.as_str()
}

/// Puts every referenced payload of `value` back as base64, reading the blobs under `dir`;
/// `budget` bounds the bytes read (a recording over its bound is refused, not half-served).
///
/// # Errors
///
/// A blob that is missing, escapes `blobs/`, or passes the budget.
pub fn restore(value: &mut Value, dir: &Path, budget: &mut usize) -> Result<(), String> {
    match value {
        Value::Array(items) => items.iter_mut().try_for_each(|v| restore(v, dir, budget)),
        Value::Object(map) => {
            if let Some(path) = reference_path(map) {
                let bytes = read_blob(dir, path, budget)?;
                *value = Value::String(gemini_image_types::Base64Bytes::new(bytes).encode());
                return Ok(());
            }
            map.values_mut().try_for_each(|v| restore(v, dir, budget))
        }
        _ => Ok(()),
    }
}

/// The bytes of blob `path` (`blobs/<name>`) under `dir`, counted against `budget`.
///
/// # Errors
///
/// A path outside `blobs/`, a missing file, or one larger than what is left of `budget`.
pub fn read_blob(dir: &Path, path: &str, budget: &mut usize) -> Result<Vec<u8>, String> {
    let name = path
        .strip_prefix("blobs/")
        .filter(|name| {
            !name.is_empty()
                && !name.starts_with('.')
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.')
        })
        .ok_or_else(|| format!("{path}: a blob must be blobs/<sha256>.<ext>"))?;
    let full = dir.join(BLOB_DIR).join(name);
    let size = std::fs::metadata(&full)
        .map_err(|e| format!("{}: {e}", full.display()))?
        .len();
    let size = usize::try_from(size).unwrap_or(usize::MAX);
    if size > *budget {
        return Err(format!(
            "{}: the recording passes its bound of bytes",
            full.display()
        ));
    }
    *budget -= size;
    std::fs::read(&full).map_err(|e| format!("{}: {e}", full.display()))
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut out, b| {
            let _ = write!(out, "{b:02x}");
            out
        })
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_long_payload_goes_out_and_comes_back_as_the_same_text() {
        let data = gemini_image_types::Base64Bytes::new(vec![7u8; 600]).encode();
        let original = json!({"inlineData": {"mimeType": "image/png", "data": data}, "text": "hi"});
        let mut value = original.clone();
        let mut blobs = Vec::new();
        extract(&mut value, &mut blobs);
        assert_eq!(blobs.len(), 1);
        assert_eq!(blobs[0].name.len(), 64 + 4, "{}", blobs[0].name);
        let reference = value["inlineData"]["data"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            reference_digest(&reference),
            Some(Sha256::digest(&blobs[0].bytes).into())
        );

        let dir = std::env::temp_dir().join(format!("blobs-test-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(BLOB_DIR)).unwrap();
        std::fs::write(dir.join(BLOB_DIR).join(&blobs[0].name), &blobs[0].bytes).unwrap();
        let mut budget = 10_000;
        restore(&mut value, &dir, &mut budget).unwrap();
        assert_eq!(value, original);
        let mut small = 10;
        let mut again = reference_value(&blobs[0].name);
        assert!(restore(&mut again, &dir, &mut small).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn reference_value(name: &str) -> Value {
        reference(name)
    }

    #[test]
    fn short_or_url_safe_payloads_stay_inline() {
        let mut value = json!({"data": "aGk=", "thoughtSignature": "-_".repeat(400)});
        let mut blobs = Vec::new();
        extract(&mut value, &mut blobs);
        assert!(blobs.is_empty());
        assert_eq!(value["data"], "aGk=");
    }

    #[test]
    fn a_blob_path_cannot_leave_the_folder() {
        let mut budget = usize::MAX;
        let dir = std::env::temp_dir();
        assert!(read_blob(&dir, "blobs/../etc", &mut budget).is_err());
        assert!(read_blob(&dir, "../x", &mut budget).is_err());
        assert!(read_blob(&dir, "blobs/..", &mut budget).is_err());
    }
}
