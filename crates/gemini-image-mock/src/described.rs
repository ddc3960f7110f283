//! How the journal and an answer's summary stand for bytes they do not keep: their size, type
//! and hash (`<N bytes, CONTENT-TYPE, xxh3 HEX>`), so that a diff or a page shows text, not
//! megabytes of base64.

use xxhash_rust::xxh3::xxh3_64;

/// `<N bytes, CONTENT-TYPE, xxh3 HEX>`, or `<N bytes, xxh3 HEX>` without a content type.
pub fn describe_bytes(bytes: &[u8], content_type: Option<&str>) -> String {
    describe_digest(bytes.len() as u64, content_type, xxh3_64(bytes))
}

/// The same description from a size and a hash already computed.
pub fn describe_digest(length: u64, content_type: Option<&str>, xxh3: u64) -> String {
    let content_type = content_type.map(|t| format!("{t}, ")).unwrap_or_default();
    format!("<{length} bytes, {content_type}xxh3 {xxh3:016x}>")
}
