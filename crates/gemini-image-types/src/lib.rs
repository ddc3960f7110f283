//! The wire of Google's Gemini image API, without a transport.
//!
//! Everything here is shared by the client ([`gemini-image`](https://docs.rs/gemini-image)) and
//! the offline twin ([`gemini-image-mock`](https://docs.rs/gemini-image-mock)), so the two read
//! and write exactly the same bytes:
//!
//! * [`types`] — every request and response type, generated from the project's hand-maintained
//!   OpenAPI spec ([`SPEC_YAML`]) by `cargo xtask regen`; nothing in `types.rs` is edited by
//!   hand;
//! * [`Base64Bytes`] — every base64 field (images, thought signatures), decoded once during
//!   deserialization with a SIMD decoder;
//! * [`OpenEnum`] — every enum, so a value Google adds later parses instead of failing the
//!   whole response;
//! * [`codec`] — JSON bodies whose megabytes of base64 are decoded or encoded straight from or
//!   into the body, past serde;
//! * [`sse`] — the byte level of a `streamGenerateContent?alt=sse` body;
//! * [`json_lines`] — the byte level of a JSON-lines file (a batch's results), its images
//!   decoded as the pieces arrive.
//!
//! ```
//! use gemini_image_types::types::{FinishReason, GenerateContentResponse};
//!
//! let body = r#"{"candidates": [{"content": {"role": "model", "parts": [
//!     {"text": "Here is your fox."},
//!     {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}]},
//!   "finishReason": "STOP", "index": 0}]}"#;
//! let response: GenerateContentResponse = gemini_image_types::codec::from_body(body.as_bytes())?;
//! let candidate = &response.candidates[0];
//! assert_eq!(candidate.finish_reason, Some(FinishReason::Stop.into()));
//! let parts = &candidate.content.as_ref().unwrap().parts;
//! let image = parts[1].inline_data.as_ref().unwrap();
//! assert_eq!(image.data.as_deref(), Some(&b"\x89PNG\r\n\x1a\n"[..]));
//! # Ok::<(), serde_json::Error>(())
//! ```

#![warn(
    missing_docs,
    clippy::return_self_not_must_use,
    clippy::missing_errors_doc
)]

pub mod base64_bytes;
pub mod codec;
pub mod json_lines;
pub mod media;
pub mod models;
pub mod open_enum;
pub mod open_union;
pub mod sse;
mod text_part;
/// The request and response types, generated from [`SPEC_YAML`].
#[allow(clippy::all, missing_docs, rustdoc::all)]
pub mod types;

pub use base64_bytes::{Base64Bytes, Base64Error};
pub use open_enum::OpenEnum;
pub use open_union::OpenUnion;

/// The OpenAPI spec the types are generated from (`openapi/gemini.yaml`), as its YAML text: the
/// mock validates requests with it and serves it.
///
/// ```
/// assert!(gemini_image_types::SPEC_YAML.starts_with("openapi: 3.0"));
/// ```
pub const SPEC_YAML: &str = include_str!("../openapi/gemini.yaml");
