//! The checks behind the fuzz targets in `fuzz/`, kept in ordinary code so that two runners
//! share them: libFuzzer (`cargo +nightly fuzz run TARGET`, for hours) and this crate's tests,
//! which replay the committed corpora (`fuzz/corpus/TARGET/`) on stable in every CI run.
//!
//! Each check takes the fuzzer's bytes and returns `Err` with a description when the property
//! fails; it never panics on its input (the fuzz target turns an `Err` into the crash libFuzzer
//! records).
//!
//! ```
//! for target in gemini_image_fuzz::TARGETS {
//!     assert!((target.check)(b"data: {}\n\n").is_ok(), "{}", target.name);
//! }
//! ```

pub mod base64;
pub mod codec;
#[cfg(feature = "mock")]
pub mod mock_router;
pub mod sse;

/// What a check found wrong.
pub type Failure = String;

/// A fuzz target: its name (the file under `fuzz/fuzz_targets/` and the directory under
/// `fuzz/corpus/`) and its check.
pub struct Target {
    /// The target's name.
    pub name: &'static str,
    /// The property, on the fuzzer's bytes.
    pub check: fn(&[u8]) -> Result<(), Failure>,
}

/// Every fuzz target.
pub const TARGETS: &[Target] = &[
    Target {
        name: "codec",
        check: codec::check,
    },
    Target {
        name: "sse",
        check: sse::check,
    },
    Target {
        name: "base64",
        check: base64::check,
    },
    #[cfg(feature = "mock")]
    Target {
        name: "mock_router",
        check: mock_router::check,
    },
];

/// The start of `bytes` as text, for a failure's description (inputs can be megabytes).
pub(crate) fn preview(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]);
    format!("{text:?} ({} bytes)", bytes.len())
}
