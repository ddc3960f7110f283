//! What the soak accepts as an answer: Google's error object with the intended status, or an
//! image answer whose image decodes — its base64 whole, its format's structure whole (PNG
//! chunks to `IEND`, JPEG markers to `EOI`) and its size the one asked for.

use base64::Engine as _;
use serde_json::Value;

use super::http::Answer;

/// An error answer as Google writes it: `{"error": {"code", "message", "status"}}` with the
/// HTTP status in `code`.
pub fn google_error(answer: &Answer, status: u16, google_status: &str) -> Result<(), String> {
    if answer.status != status {
        return Err(format!(
            "status {} instead of {status}: {}",
            answer.status,
            preview(&answer.body)
        ));
    }
    if !answer.content_type.starts_with("application/json") {
        return Err(format!("an error as {:?}", answer.content_type));
    }
    let body: Value = serde_json::from_slice(&answer.body)
        .map_err(|e| format!("an error that is no JSON ({e}): {}", preview(&answer.body)))?;
    let error = &body["error"];
    let shaped = error["code"].as_u64() == Some(u64::from(status))
        && error["message"].as_str().is_some_and(|m| !m.is_empty())
        && error["status"].as_str() == Some(google_status);
    if !shaped {
        return Err(format!(
            "not Google's error shape with {google_status}: {}",
            preview(&answer.body)
        ));
    }
    Ok(())
}

/// A unary `generateContent` answer with one image of `size` and a `finishReason`.
pub fn image_answer(answer: &Answer, size: (u32, u32)) -> Result<(), String> {
    ok_status(answer)?;
    let body: Value = serde_json::from_slice(&answer.body)
        .map_err(|e| format!("an answer that is no JSON: {e}"))?;
    let candidate = &body["candidates"][0];
    if candidate["finishReason"].as_str() != Some("STOP") {
        return Err(format!(
            "finishReason {} instead of STOP",
            candidate["finishReason"]
        ));
    }
    let images = images_of(candidate);
    match images.as_slice() {
        [image] => check_image(image, size),
        _ => Err(format!("{} images instead of 1", images.len())),
    }
}

/// A `streamGenerateContent?alt=sse` answer: every event JSON, one image of `size` among them,
/// the last event with a `finishReason` (a stream cut short is no answer).
pub fn stream_answer(answer: &Answer, size: (u32, u32)) -> Result<(), String> {
    ok_status(answer)?;
    if !answer.content_type.starts_with("text/event-stream") {
        return Err(format!("a stream as {:?}", answer.content_type));
    }
    let text = std::str::from_utf8(&answer.body).map_err(|_| "a stream that is no UTF-8")?;
    let mut images = Vec::new();
    let mut finished = false;
    for event in text.split("\r\n\r\n").flat_map(|e| e.split("\n\n")) {
        let Some(data) = event.trim().strip_prefix("data:") else {
            if event.trim().is_empty() {
                continue;
            }
            return Err(format!(
                "an event without data: {}",
                preview(event.as_bytes())
            ));
        };
        let chunk: Value =
            serde_json::from_str(data.trim()).map_err(|e| format!("an event's JSON: {e}"))?;
        let candidate = &chunk["candidates"][0];
        images.extend(images_of(candidate));
        finished = candidate["finishReason"].as_str() == Some("STOP");
    }
    if !finished {
        return Err("a stream whose last event has no finishReason STOP".into());
    }
    match images.as_slice() {
        [image] => check_image(image, size),
        _ => Err(format!("{} images instead of 1", images.len())),
    }
}

fn ok_status(answer: &Answer) -> Result<(), String> {
    if answer.status == 200 {
        Ok(())
    } else {
        Err(format!(
            "status {}: {}",
            answer.status,
            preview(&answer.body)
        ))
    }
}

/// The `inlineData` parts of a candidate.
fn images_of(candidate: &Value) -> Vec<Value> {
    candidate["content"]["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|part| part.get("inlineData").cloned())
        .collect()
}

fn check_image(inline: &Value, size: (u32, u32)) -> Result<(), String> {
    let data = inline["data"].as_str().ok_or("an image without data")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| format!("an image's base64: {e}"))?;
    let (mime, found) = match inline["mimeType"].as_str() {
        Some("image/png") => ("png", png_size(&bytes)?),
        Some("image/jpeg") => ("jpeg", jpeg_size(&bytes)?),
        other => return Err(format!("an image of type {other:?}")),
    };
    if found != size {
        return Err(format!("a {mime} of {found:?} instead of {size:?}"));
    }
    Ok(())
}

/// The size in a PNG's `IHDR`, once every chunk up to `IEND` is whole.
pub fn png_size(bytes: &[u8]) -> Result<(u32, u32), String> {
    let rest = bytes
        .strip_prefix(b"\x89PNG\r\n\x1a\n")
        .ok_or("no PNG signature")?;
    let mut at = 0;
    let mut size = None;
    while at + 8 <= rest.len() {
        let length = be32(&rest[at..]) as usize;
        let kind = &rest[at + 4..at + 8];
        let end = at + 12 + length;
        if end > rest.len() {
            return Err("a PNG cut inside a chunk".into());
        }
        match kind {
            b"IHDR" if length == 13 => size = Some((be32(&rest[at + 8..]), be32(&rest[at + 12..]))),
            b"IEND" => return size.ok_or_else(|| "a PNG without IHDR".into()),
            _ => {}
        }
        at = end;
    }
    Err("a PNG without IEND".into())
}

/// The size in a JPEG's start of frame, once its segments and the entropy-coded data up to
/// `EOI` are whole.
pub fn jpeg_size(bytes: &[u8]) -> Result<(u32, u32), String> {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err("no JPEG start of image".into());
    }
    if !bytes.ends_with(&[0xFF, 0xD9]) {
        return Err("a JPEG without its end of image".into());
    }
    let mut at = 2;
    let mut size = None;
    while at + 4 <= bytes.len() {
        if bytes[at] != 0xFF {
            return Err(format!("a JPEG marker expected at {at}"));
        }
        let marker = bytes[at + 1];
        let length = usize::from(u16::from_be_bytes([bytes[at + 2], bytes[at + 3]]));
        if at + 2 + length > bytes.len() {
            return Err("a JPEG cut inside a segment".into());
        }
        if matches!(marker, 0xC0..=0xC3) && length >= 7 {
            let height = u16::from_be_bytes([bytes[at + 5], bytes[at + 6]]);
            let width = u16::from_be_bytes([bytes[at + 7], bytes[at + 8]]);
            size = Some((u32::from(width), u32::from(height)));
        }
        if marker == 0xDA {
            // The scan runs to the end of image, checked above.
            return size.ok_or_else(|| "a JPEG scan before its frame".into());
        }
        at += 2 + length;
    }
    Err("a JPEG without a scan".into())
}

fn be32(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]])
}

/// The start of a body, for a message.
pub fn preview(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(200)]);
    text.replace('\n', " ")
}
