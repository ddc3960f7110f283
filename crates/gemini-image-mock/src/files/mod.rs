//! The Files API's state: the bytes of uploaded and generated files, the uploads under way,
//! and how a file is shown (`File`) and used (`fileData` in a model call).
//!
//! * `store` — files and pending uploads, bounded in bytes and in number; files expire 48
//!   hours after upload on the mock's clock.
//! * `chunk` — one chunk of an upload, taken as it arrives.
//! * `disk` — the store's bytes in a data directory (`--data-dir`), kept across restarts.
//! * `names` — file ids and upload ids: made up, validated, read from a `fileUri`.
//! * `resource` — a stored file as the generated `File` type, fields in Google's order.
//! * `resolve` — `fileData` parts of a model call turned into the stored bytes.

pub mod chunk;
pub mod disk;
pub mod names;
pub mod resolve;
pub mod resource;
pub mod store;
