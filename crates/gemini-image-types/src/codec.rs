//! JSON bodies in and out, fast where it matters: an image response is megabytes of base64
//! inside a small JSON document.
//!
//! A JSON parser has to scan every byte of a string to find its end and its escapes, and that
//! scan — not base64 — is what makes a naive client slow. [`from_body`] finds each large base64
//! value itself (a SIMD search for the key, a SIMD search for the closing quote), decodes it
//! straight from the body, and hands serde a copy of the small rest of the document with a
//! placeholder where the value was. [`to_body`] does the reverse: serde writes the small
//! document, and the base64 of each large value is written straight into the final body.
//!
//! Both fall back to plain serde_json whenever the shortcut does not apply (a value with
//! escapes, invalid base64, a `data` key that is not an image's), so the result is always
//! exactly what serde_json alone would give — only faster.

use bytes::Bytes;
use memchr::memmem;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::base64_bytes::{decode_base64, encode_base64_append, splice};

/// The keys whose values are large base64 in Gemini's responses and requests: images, and the
/// thought signatures of gemini-3 models (about a megabyte each, sent back with every turn).
const KEYS: [&[u8]; 3] = [
    b"\"data\"",
    b"\"bytesBase64Encoded\"",
    b"\"thoughtSignature\"",
];

/// Bodies smaller than this are parsed directly: nothing in them is worth splicing.
const MIN_BODY: usize = splice::MIN_SPLICED;

/// Parses a JSON body, decoding large base64 values on the fast path.
///
/// ```
/// use gemini_image_types::codec;
/// use gemini_image_types::types::GenerateContentResponse;
///
/// let image = vec![7u8; 100_000];
/// let body = format!(
///     r#"{{"candidates": [{{"content": {{"parts": [{{"inlineData": {{"mimeType": "image/png", "data": "{}"}}}}]}}}}]}}"#,
///     gemini_image_types::Base64Bytes::from(image.clone()).encode()
/// );
/// let response: GenerateContentResponse = codec::from_body(body.as_bytes())?;
/// let parts = &response.candidates[0].content.as_ref().unwrap().parts;
/// assert_eq!(parts[0].inline_data.as_ref().unwrap().data.as_deref(), Some(&image[..]));
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// # Errors
///
/// The JSON error when `body` is not a `T`: exactly serde_json's.
pub fn from_body<T: DeserializeOwned>(body: &[u8]) -> serde_json::Result<T> {
    if body.len() >= MIN_BODY
        && let Some(spliced) = Spliced::find(body)
        && let Some(value) = from_spliced(&spliced.rest, spliced.nonce, spliced.values)
    {
        return Ok(value);
    }
    serde_json::from_slice(body)
}

/// Parses `text`, whose placeholders made with `nonce` stand for `values`; `None` when it does
/// not parse or a placeholder stood in a field that is not base64 (the caller then reads the
/// original text).
pub(crate) fn from_spliced<T: DeserializeOwned>(
    text: &[u8],
    nonce: u64,
    values: Vec<Bytes>,
) -> Option<T> {
    let (parsed, all_taken) =
        splice::with_decoded(nonce, values, || serde_json::from_slice::<T>(text));
    parsed.ok().filter(|_| all_taken)
}

/// Where the content of a string value starts, when `window` ends inside it: a large base64
/// value (after one of the base64 keys) still arriving. Used by the SSE reader to decode an
/// image as it comes off the network.
pub(crate) fn open_value_at_end(window: &[u8]) -> Option<usize> {
    let mut from = 0;
    loop {
        let (start, end) = next_base64_value(window, from)?;
        match end {
            ValueEnd::Open => return Some(start),
            ValueEnd::Quote(at) | ValueEnd::Escape(at) => from = at,
        }
    }
}

/// How a string value ends.
enum ValueEnd {
    /// At the closing quote here.
    Quote(usize),
    /// Not found: a backslash comes first, here (an escape, which base64 never needs).
    Escape(usize),
    /// Not in the text: it goes on past its end.
    Open,
}

/// The next string value, at or after `from`, of one of the base64 keys: where its content
/// starts and how it ends.
///
/// Every key ends in `":` (Google and serde_json write no space before the colon), and base64
/// holds no quote: one search for `":` visits each key once and crosses each megabyte of base64
/// once, whichever keys there are. A caller that resumes after the value's end leaves the
/// search for that end as the only other pass over it.
fn next_base64_value(body: &[u8], mut from: usize) -> Option<(usize, ValueEnd)> {
    let key_end = memmem::Finder::new(b"\":");
    while let Some(offset) = key_end.find(&body[from..]) {
        let colon = from + offset + 1;
        from = colon;
        let Some(key) = KEYS.iter().find(|key| body[..colon].ends_with(key)) else {
            continue;
        };
        let Some(start) = value_start_after_key(body, colon - key.len(), key.len()) else {
            continue;
        };
        let end = match memchr::memchr2(b'"', b'\\', &body[start..]) {
            None => ValueEnd::Open,
            Some(length) if body[start + length] == b'"' => ValueEnd::Quote(start + length),
            Some(length) => ValueEnd::Escape(start + length),
        };
        return Some((start, end));
    }
    None
}

/// Writes `value` as a JSON body, writing large base64 values straight into it.
///
/// ```
/// use gemini_image_types::types::{Blob, Content, Part};
/// use gemini_image_types::codec;
///
/// let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
/// png.resize(100_000, 0);
/// let image = Part {
///     inline_data: Some(Blob {
///         mime_type: Some("image/png".into()),
///         data: Some(png.into()),
///         ..Blob::default()
///     }),
///     ..Part::default()
/// };
/// let request = Content { parts: vec![image, "make it blue".into()], ..Content::default() };
/// let body = codec::to_body(&request)?;
/// assert_eq!(&body[..], serde_json::to_vec(&request)?.as_slice());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// serde_json's error when `value` cannot be written as JSON (a map with non-string keys).
pub fn to_body<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Bytes> {
    let nonce = fastrand::u64(..);
    let (small, values) = splice::with_deferred(nonce, || serde_json::to_vec(value));
    let small = small?;
    if values.is_empty() {
        return Ok(Bytes::from(small));
    }
    // Cannot fail: serde wrote every placeholder it was given. Stay correct anyway.
    match with_values_encoded(&small, nonce, &values) {
        Some(body) => Ok(Bytes::from(body)),
        None => serde_json::to_vec(value).map(Bytes::from),
    }
}

/// `text` with the standard, padded base64 of each of `values` where its placeholder (made with
/// `nonce`, in order) stands; `None` when a placeholder is missing.
pub(crate) fn with_values_encoded(text: &[u8], nonce: u64, values: &[Bytes]) -> Option<Vec<u8>> {
    let encoded: usize = values.iter().map(|v| v.len().div_ceil(3) * 4).sum();
    let mut body = Vec::with_capacity(text.len() + encoded);
    let mut rest = text;
    for (index, bytes) in values.iter().enumerate() {
        // Placeholders are written in order, each after the one before.
        let placeholder = splice::placeholder(index, nonce);
        let at = memmem::find(rest, placeholder.as_bytes())?;
        body.extend_from_slice(&rest[..at]);
        encode_base64_append(bytes, &mut body);
        rest = &rest[at + placeholder.len()..];
    }
    body.extend_from_slice(rest);
    Some(body)
}

/// A body with its large base64 values cut out and decoded.
struct Spliced {
    nonce: u64,
    /// The body with a placeholder string where each value was.
    rest: Vec<u8>,
    values: Vec<Bytes>,
}

impl Spliced {
    /// Finds and decodes the large base64 values of `body`; `None` when there are none.
    fn find(body: &[u8]) -> Option<Spliced> {
        let mut found: Vec<(usize, usize, Bytes)> = Vec::new();
        let mut from = 0;
        while let Some((start, end)) = next_base64_value(body, from) {
            match end {
                ValueEnd::Quote(end) => {
                    if end - start >= splice::MIN_SPLICED
                        && let Some(bytes) = decode_base64(&body[start..end])
                    {
                        found.push((start, end, bytes));
                    }
                    from = end;
                }
                ValueEnd::Escape(at) => from = at,
                ValueEnd::Open => break,
            }
        }
        if found.is_empty() {
            return None;
        }
        let nonce = fastrand::u64(..);
        let cut: usize = found.iter().map(|(start, end, _)| end - start).sum();
        let mut rest = Vec::with_capacity(body.len() - cut + found.len() * 40);
        let mut copied = 0;
        let mut values = Vec::with_capacity(found.len());
        for (index, (start, end, bytes)) in found.into_iter().enumerate() {
            rest.extend_from_slice(&body[copied..start]);
            rest.extend_from_slice(splice::placeholder(index, nonce).as_bytes());
            copied = end;
            values.push(bytes);
        }
        rest.extend_from_slice(&body[copied..]);
        Some(Spliced {
            nonce,
            rest,
            values,
        })
    }
}

/// Where the string value of the key whose opening quote is at `at` starts, when that quote is
/// structural and the key is followed by `:` and a string.
fn value_start_after_key(body: &[u8], at: usize, key_len: usize) -> Option<usize> {
    // Inside a JSON string every quote is escaped: a quote preceded by an odd number of
    // backslashes is text, not the start of a key. A run of backslashes reaching the start of
    // `body` leaves that unknown: no.
    let backslashes = body[..at].iter().rev().take_while(|&&b| b == b'\\').count();
    if backslashes % 2 == 1 || (backslashes == at && at > 0) {
        return None;
    }
    let mut position = at + key_len;
    position += whitespace(&body[position..]);
    if body.get(position) != Some(&b':') {
        return None;
    }
    position += 1;
    position += whitespace(&body[position..]);
    (body.get(position) == Some(&b'"')).then_some(position + 1)
}

fn whitespace(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\n' | b'\r' | b'\t'))
        .count()
}

#[cfg(test)]
mod tests {
    use serde::ser::{SerializeSeq, Serializer};

    use super::*;
    use crate::Base64Bytes;

    /// A user type whose `Serialize` panics after a large value has been deferred.
    struct PanicsHalfWay(Base64Bytes);

    impl Serialize for PanicsHalfWay {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut seq = serializer.serialize_seq(Some(2))?;
            seq.serialize_element(&self.0)?;
            panic!("a user's Serialize panicked");
        }
    }

    #[test]
    fn a_panic_inside_to_body_leaves_no_placeholder_behind() {
        let large = Base64Bytes::from(vec![7u8; splice::MIN_SPLICED * 2]);
        let panicked = std::panic::catch_unwind(|| to_body(&PanicsHalfWay(large.clone()))).is_err();
        assert!(panicked);
        assert!(splice::idle(), "the deferred table outlived the call");
        // The next plain serialization on this thread writes the base64 itself.
        let plain = serde_json::to_string(&large).unwrap();
        assert!(!plain.contains("!gemini-image:"), "{}", &plain[..60]);
        assert_eq!(plain.len(), large.len().div_ceil(3) * 4 + 2);
        // And the codec still works on this thread.
        let body = to_body(&vec![large.clone()]).unwrap();
        assert_eq!(body, serde_json::to_vec(&vec![large.clone()]).unwrap());
    }

    #[test]
    fn a_panic_inside_from_body_leaves_no_decoded_table_behind() {
        let large = Base64Bytes::from(vec![9u8; splice::MIN_SPLICED * 2]);
        let body = serde_json::to_vec(&serde_json::json!({"data": large.encode()})).unwrap();
        #[derive(Debug)]
        struct PanicsOnRead;
        impl<'de> serde::Deserialize<'de> for PanicsOnRead {
            fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
                panic!("a user's Deserialize panicked");
            }
        }
        assert!(std::panic::catch_unwind(|| from_body::<PanicsOnRead>(&body)).is_err());
        assert!(splice::idle(), "the decoded values outlived the call");
    }

    #[test]
    fn a_thought_signature_is_decoded_on_the_fast_path() {
        let signature: Vec<u8> = (0..1_000_000u32).map(|i| (i * 7 % 253) as u8).collect();
        let body = serde_json::to_vec_pretty(&serde_json::json!({"candidates": [{"content": {
            "role": "model",
            "parts": [{"text": "Here it is", "thoughtSignature": Base64Bytes::from(signature.clone()).encode()}]
        }}]}))
        .unwrap();
        let spliced = Spliced::find(&body).expect("the signature is found");
        assert_eq!(&spliced.values[0][..], &signature[..]);
        let response: crate::types::GenerateContentResponse = from_body(&body).unwrap();
        assert_eq!(
            response,
            serde_json::from_slice::<crate::types::GenerateContentResponse>(&body).unwrap()
        );
        // And sent back the same way: its base64 written straight into the body.
        let content = response.candidates[0].content.clone().unwrap();
        assert_eq!(
            to_body(&content).unwrap(),
            serde_json::to_vec(&content).unwrap()
        );
    }

    #[test]
    fn an_interactions_image_is_decoded_on_the_fast_path() {
        let image: Vec<u8> = (0..300_000u32).map(|i| (i * 13 % 251) as u8).collect();
        let body = serde_json::to_vec(&serde_json::json!({
            "id": "v1_a", "status": "completed", "steps": [
                {"type": "thought", "signature": "c2ln"},
                {"type": "model_output", "content": [
                    {"type": "image", "data": Base64Bytes::from(image.clone()).encode(), "mime_type": "image/jpeg"}]}]
        }))
        .unwrap();
        let spliced = Spliced::find(&body).expect("the image is found under `data`");
        assert_eq!(spliced.values.len(), 1);
        let interaction: crate::types::Interaction =
            from_spliced(&spliced.rest, spliced.nonce, spliced.values)
                .expect("steps and contents (open unions) take the decoded value");
        let Some(crate::types::InteractionStep::ModelOutput { content, .. }) =
            interaction.steps[1].known()
        else {
            panic!("{interaction:?}");
        };
        let Some(crate::types::InteractionContent::Image { data, .. }) = content[0].known() else {
            panic!("{content:?}");
        };
        assert_eq!(data.as_deref(), Some(&image[..]));
        // And a request body is written the same way: the image's base64 straight in.
        assert_eq!(
            to_body(&interaction).unwrap(),
            serde_json::to_vec(&interaction).unwrap()
        );
    }
}
