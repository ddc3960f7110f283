//! Typed, fast client for Google's Gemini image-generation API.

pub mod base64_bytes;
#[allow(clippy::all, missing_docs, rustdoc::all)]
mod generated;
pub mod open_enum;

pub use base64_bytes::{Base64Bytes, Base64Error};
pub use generated::*;
pub use open_enum::OpenEnum;
