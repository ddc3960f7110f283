//! `GET /__mock/thumbnails/{hash}`: the thumbnail of the image whose xxh3 is `hash` (16 hex
//! digits, as the journal writes it).

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::SharedState;

pub async fn serve(State(state): State<SharedState>, Path(hash): Path<String>) -> Response {
    let thumbnail = u64::from_str_radix(&hash, 16)
        .ok()
        .filter(|_| hash.len() == 16)
        .and_then(|hash| state.journal.thumbnails().get(hash));
    match thumbnail {
        // The same hash is always the same picture: the browser may keep it.
        Some(jpeg) => (
            [
                (header::CONTENT_TYPE, "image/jpeg"),
                (header::CACHE_CONTROL, "max-age=3600, immutable"),
            ],
            jpeg,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no thumbnail for this image").into_response(),
    }
}

/// The hash of every image a journal description names (`"<N bytes, …, xxh3 HEX>"`), in
/// order, found in `text`.
pub fn hashes_in(text: &str) -> Vec<String> {
    const MARK: &str = "xxh3 ";
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(MARK) {
        rest = &rest[at + MARK.len()..];
        let hex: String = rest.chars().take(17).collect();
        if let Some(hash) = hex.strip_suffix('>')
            && hash.len() == 16
            && hash.bytes().all(|b| b.is_ascii_hexdigit())
            && !found.iter().any(|f| f == hash)
        {
            found.push(hash.to_string());
        }
    }
    found
}

/// The hashes of the images a journal entry's request carried (its body's descriptions, or a
/// file's), then those its answer held: `(in, out)`.
pub fn of_entry(entry: &crate::journal::JournalEntry) -> (Vec<String>, Vec<String>) {
    let mut carried = Vec::new();
    if let Some(body) = &entry.body {
        in_value(body, &mut carried);
    }
    if let Some(description) = &entry.body_description {
        carried.extend(hashes_in(description));
    }
    let answered = entry
        .answer
        .iter()
        .flat_map(|a| a.images.iter())
        .flat_map(|description| hashes_in(description))
        .collect();
    (carried, answered)
}

/// The hashes in every string of `value`, without writing it out as text.
fn in_value(value: &serde_json::Value, found: &mut Vec<String>) {
    match value {
        serde_json::Value::String(text) => {
            for hash in hashes_in(text) {
                if !found.contains(&hash) {
                    found.push(hash);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| in_value(v, found)),
        serde_json::Value::Object(map) => map.values().for_each(|v| in_value(v, found)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_hashes_of_described_images() {
        let text = r#"{"a": "<5 bytes, xxh3 00112233445566aa>", "b": "<9 bytes, image/png, xxh3 ffffffffffffffff>", "c": "xxh3 nothex", "d": "<5 bytes, xxh3 00112233445566aa>"}"#;
        assert_eq!(hashes_in(text), ["00112233445566aa", "ffffffffffffffff"]);
    }
}
