//! Typed, fast client for Google's Gemini image-generation API.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let mock = gemini_image_mock::MockServer::start().await?;
//! # unsafe { std::env::set_var("GEMINI_API_KEY", "any-key") };
//! # unsafe { std::env::set_var("GOOGLE_GEMINI_BASE_URL", mock.uri()) };
//! use gemini_image::{Client, Outcome, ResponseExt, models};
//!
//! let client = Client::from_env()?; // GEMINI_API_KEY, and GOOGLE_GEMINI_BASE_URL if set
//! let response = client.generate_image(models::GEMINI_3_1_FLASH_IMAGE, "a red bicycle").await?;
//! match response.outcome() {
//!     Outcome::Images(images) => {
//!         let path = images[0].save(std::env::temp_dir().join("bicycle"))?; // bicycle.jpg
//!         # std::fs::remove_file(path)?;
//!     }
//!     Outcome::NoImage { finish_reason, message, .. } => eprintln!("{finish_reason:?}: {message:?}"),
//!     Outcome::PromptBlocked { reason, .. } => eprintln!("prompt blocked: {reason:?}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The types in [`types`] (from the `gemini-image-types` crate, shared with the mock) and the
//! client behind [`Client::raw`] are generated from the project's hand-maintained OpenAPI spec
//! (`openapi/gemini.yaml`); nothing generated is edited by hand. Hand-written modules beside it
//! add the behaviour:
//!
//! * [`Client`] sends the generated types: the key only in `x-goog-api-key`, retries as a
//!   [`RetryPolicy`] (honouring Google's RetryInfo), one [`Error`] type;
//! * [`RequestBuilder`] fills a request (modalities, image size, safety, tools, thinking);
//! * [`ResponseExt`] and [`Outcome`] read images out of a response, and say why there are none;
//! * [`ResponseStream`] reads `streamGenerateContent`, and [`Accumulator`] folds its chunks;
//! * [`Chat`] keeps a conversation, sending the model's images and thought signatures back;
//! * [`Client::interactions`] speaks the Interactions API (`/interactions`, Google's recommended
//!   interface since June 2026): [`InteractionRequest`], [`InteractionStream`],
//!   [`InteractionChat`]; [`InteractionExt`] and [`ResponseExt`] read images out of its answers
//!   as out of `generateContent`'s;
//! * [`Client::batches`] is batch mode (half the price): [`Batches`] creates a batch from
//!   inline requests or a JSONL file it writes for you ([`BatchInput`]), waits with progress,
//!   and reads the results while the results file downloads ([`results_from_pieces`]);
//!   [`BatchExt`] reads a batch's state ([`JobState`]), counts ([`BatchCounts`]) and failure;
//! * [`Client::edit_image`] and [`Chat`] upload, through the Files API, the images that would
//!   push a request past Google's 20 MB ([`INLINE_LIMIT`]), and name them by URI instead
//!   ([`ClientBuilder::auto_upload`] turns it off);
//! * [`Base64Bytes`] holds the decoded bytes of every base64 field (images, thought signatures),
//!   decoded once during deserialization with a SIMD decoder;
//! * [`OpenEnum`] carries every enum, so a value Google adds later parses instead of failing the
//!   whole response.
//!
//! ```
//! use gemini_image::types::{FinishReason, GenerateContentResponse};
//!
//! let body = r#"{"candidates": [{"content": {"role": "model", "parts": [
//!     {"text": "Here is your fox."},
//!     {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo="}}]},
//!   "finishReason": "STOP", "index": 0}]}"#;
//! let response: GenerateContentResponse = serde_json::from_str(body)?;
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

pub mod auth;
mod backend;
mod batch_input;
mod batch_operation;
mod batch_results;
mod batch_save;
mod batch_state;
mod batches;
mod chat;
mod client;
mod edit;
mod error;
mod files;
// Its methods' errors are documented once, on `Client::raw`.
#[allow(clippy::all, clippy::pedantic, missing_docs, rustdoc::all)]
mod generated;
mod hooks;
mod image_room;
mod images;
mod inline_limit;
mod interaction_chat;
mod interaction_input;
mod interaction_output;
mod interaction_request;
mod interaction_stream;
mod interactions;
mod lifecycle;
mod paging;
mod parts;
mod poll;
mod request;
mod retry;
mod stream;
mod stream_end;
mod transport;
mod upload;

pub use backend::{
    Backend, DEFAULT_VERTEX_LOCATION, Environment, GEMINI_API_BASE_URL, VERTEX_AI_API_VERSION,
    VERTEX_AI_BASE_URL,
};
pub use batch_input::{BATCH_INPUT_MIME_TYPE, BatchInput};
pub use batch_operation::BatchExt;
pub use batch_results::{
    BatchItem, BatchResults, BatchStream, MAX_RESULT_LINE, results_from_pieces,
};
pub use batch_save::{SavedImages, SavedItem, safe_file_stem};
pub use batch_state::{BatchCounts, JobState};
pub use batches::{BatchOptions, Batches, RESULTS_FILE_WAIT};
pub use chat::{Chat, ChatStream};
pub use client::{
    Client, ClientBuilder, DEFAULT_API_VERSION, DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DEADLINE, DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_BODY, model_path,
};
pub use error::{ApiError, Error};
pub use files::{Files, file_id, file_part};
pub use gemini_image_types::{
    Base64Bytes, Base64Error, OpenEnum, OpenUnion, codec, media, models, types,
};
pub use images::{Image, Outcome, ResponseExt, image_part, image_part_from_path};
pub use inline_limit::{INLINE_LIMIT, PartIndex, request_size};
pub use interaction_chat::InteractionChat;
pub use interaction_input::content_of_part;
pub use interaction_output::InteractionExt;
pub use interaction_request::{InteractionRequest, ResponseFormat};
pub use interaction_stream::{InteractionAccumulator, InteractionStream};
pub use interactions::Interactions;
pub use parts::IntoParts;
pub use request::RequestBuilder;
pub use retry::{RetryEvent, RetryPolicy};
pub use stream::{Accumulator, ResponseStream};
pub use upload::{UploadOptions, UploadSource};

/// The generated client of every operation in the spec, as [`Client::raw`] hands it out; and
/// what its methods return.
pub mod raw {
    pub use crate::generated::Client as RawClient;
    pub use progenitor_client::{Error as RawError, ResponseValue};
}
pub use raw::RawClient;
