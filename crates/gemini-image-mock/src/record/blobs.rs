//! Base64 payloads (images, thought signatures) moved out of a recording's JSON into
//! `blobs/<sha256>.<ext>` beside it, so that a diff of a recording shows text. A payload is
//! replaced by `{"$blob": "blobs/<sha256>.<ext>"}` (with `"$alphabet": "url"` when it was
//! URL-safe base64, as google-genai sends images), and put back as the same base64 text when
//! replayed: only text that padded base64 of either alphabet writes back byte for byte is
//! moved; anything else stays inline.

use std::path::Path;

use bytes::Bytes;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::spec::camel_case;

/// Fields whose string is base64 bytes (images, thought signatures), by their lowerCamel name:
/// moved out here, and compared by the hash of their bytes when matching.
pub const BASE64_KEYS: &[&str] = &["data", "bytesBase64Encoded", "thoughtSignature"];

/// The key of a blob reference.
const BLOB_KEY: &str = "$blob";
/// The key saying a reference's text was URL-safe base64 (its value: `"url"`).
const ALPHABET_KEY: &str = "$alphabet";
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
                    && let Some((blob, url_safe)) = movable(text)
                {
                    *field = reference(&blob.name);
                    if url_safe && let Value::Object(reference) = field {
                        reference.insert(ALPHABET_KEY.into(), Value::String("url".into()));
                    }
                    blobs.push(blob);
                } else {
                    extract(field, blobs);
                }
            }
        }
        _ => {}
    }
}

/// The blob of `text` when it is long base64 that re-encodes to itself, and whether in the
/// URL-safe alphabet.
fn movable(text: &str) -> Option<(Blob, bool)> {
    if text.len() < INLINE_BELOW {
        return None;
    }
    let decoded = gemini_image_types::Base64Bytes::decode(text.as_bytes()).ok()?;
    let standard = decoded.encode();
    if standard == text {
        return Some((named(decoded.into_bytes()), false));
    }
    let url_safe = standard.len() == text.len()
        && standard
            .bytes()
            .zip(text.bytes())
            .all(|(s, t)| s == t || (s, t) == (b'+', b'-') || (s, t) == (b'/', b'_'));
    url_safe.then(|| (named(decoded.into_bytes()), true))
}

/// `bytes` as padded base64, in the URL-safe alphabet when asked.
pub fn encode(bytes: Bytes, url_safe: bool) -> String {
    let standard = gemini_image_types::Base64Bytes::new(bytes).encode();
    if !url_safe {
        return standard;
    }
    let mut text = standard.into_bytes();
    for byte in &mut text {
        match *byte {
            b'+' => *byte = b'-',
            b'/' => *byte = b'_',
            _ => {}
        }
    }
    // Base64 is ASCII, and stays ASCII.
    String::from_utf8(text).unwrap_or_default()
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
    let alphabet_given = usize::from(map.contains_key(ALPHABET_KEY));
    if map.len() != 1 + alphabet_given {
        return None;
    }
    map.get(BLOB_KEY)?.as_str()
}

/// Whether a reference's text was URL-safe base64.
fn is_url_safe(map: &Map<String, Value>) -> bool {
    map.get(ALPHABET_KEY).and_then(Value::as_str) == Some("url")
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
                *value = Value::String(encode(Bytes::from(bytes), is_url_safe(map)));
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
    fn short_or_unpadded_payloads_stay_inline() {
        let mut value = json!({"data": "aGk=", "thoughtSignature": "-_-".repeat(267)});
        let mut blobs = Vec::new();
        extract(&mut value, &mut blobs);
        assert!(blobs.is_empty());
        assert_eq!(value["data"], "aGk=");
    }

    #[test]
    fn a_url_safe_payload_goes_out_and_comes_back_url_safe() {
        let bytes: Vec<u8> = (0..=255u8).cycle().take(900).collect();
        let text = encode(Bytes::from(bytes.clone()), true);
        assert!(text.contains('-') && text.contains('_'), "{text}");
        let original = json!({"inlineData": {"data": text}});
        let mut value = original.clone();
        let mut blobs = Vec::new();
        extract(&mut value, &mut blobs);
        assert_eq!(blobs.len(), 1);
        assert_eq!(&blobs[0].bytes[..], &bytes[..]);
        assert_eq!(value["inlineData"]["data"]["$alphabet"], "url");
        let reference = value["inlineData"]["data"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        assert!(reference_digest(&reference).is_some());

        let dir = std::env::temp_dir().join(format!("blobs-url-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(BLOB_DIR)).unwrap();
        std::fs::write(dir.join(BLOB_DIR).join(&blobs[0].name), &blobs[0].bytes).unwrap();
        let mut budget = 10_000;
        restore(&mut value, &dir, &mut budget).unwrap();
        assert_eq!(value, original);
        std::fs::remove_dir_all(&dir).unwrap();
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
