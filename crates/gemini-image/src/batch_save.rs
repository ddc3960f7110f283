//! Saving a batch's images to a directory, one file per image named after its request's key
//! ([`safe_file_stem`]), as the results arrive: nothing is kept once written.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;

use crate::batch_results::{BatchResults, BatchStream};
use crate::error::Error;
use crate::images::{Outcome, ResponseExt};
use crate::types::UsageMetadata;

/// The longest stem written, in bytes: file systems allow 255 bytes a name, and room is left
/// for a hash, an index and an extension.
const MAX_STEM: usize = 120;

/// Names Windows keeps for devices, whatever the extension.
const RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// The file name (without extension) an image of the request `key` is saved under: the key
/// itself when it is safe on every file system (ASCII letters, digits, `-`, `_`, `.`, not
/// starting with a dot, not a device name, at most 120 bytes); otherwise the key with every
/// other character replaced by `_`, cut to length, and a hash of the whole key appended, so
/// that two keys never share a name (`a/b` and `a_b` stay apart). The same key always gives
/// the same name, so a rerun finds what an earlier run saved.
///
/// ```
/// use gemini_image::safe_file_stem;
///
/// assert_eq!(safe_file_stem("cat-01"), "cat-01");
/// let odd = safe_file_stem("../etc/passwd");
/// assert!(odd.starts_with("_.._etc_passwd-"), "{odd}");
/// assert_ne!(safe_file_stem("a/b"), safe_file_stem("a_b"));
/// assert!(safe_file_stem("NUL").starts_with("NUL-"));
/// ```
pub fn safe_file_stem(key: &str) -> String {
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    let reserved = RESERVED.iter().any(|r| {
        key.split('.')
            .next()
            .is_some_and(|stem| stem.eq_ignore_ascii_case(r))
    });
    if !key.is_empty()
        && key.len() <= MAX_STEM
        && !key.starts_with('.')
        && key.bytes().all(plain)
        && !reserved
    {
        return key.to_owned();
    }
    let mut stem: String = key
        .chars()
        .map(|c| {
            if c.is_ascii() && plain(c as u8) {
                c
            } else {
                '_'
            }
        })
        .take(MAX_STEM)
        .collect();
    if stem.starts_with('.') {
        stem.insert(0, '_');
    }
    format!("{stem}-{:08x}", fnv1a(key.as_bytes()))
}

/// FNV-1a, 32 bits: stable across Rust releases and platforms, unlike the standard hasher.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5, |hash, b| {
        (hash ^ u32::from(*b)).wrapping_mul(0x0100_0193)
    })
}

/// One request's saved images.
#[derive(Debug)]
#[non_exhaustive]
pub struct SavedItem {
    /// The request's key.
    pub key: String,
    /// The paths written, or why there are none: the request's error, [`Error::NoImage`] with
    /// the model's reason, the write's [`Error::Io`].
    pub images: Result<Vec<PathBuf>, Error>,
    /// The answer's token counts — what the request is billed for, at batch mode's half price
    /// — when it had an answer.
    pub usage: Option<UsageMetadata>,
}

/// What [`Batches::save_images`](crate::Batches::save_images) hands out, each item written
/// before it is handed out.
pub type SavedImages = BatchStream<SavedItem>;

/// Saves the images of each result to `dir` as they arrive: `{stem}.{ext}` for a request's
/// first image, `{stem}-2.{ext}` for its second …; per key the paths written, or why there are
/// none (the request's error, [`Error::NoImage`], the write's [`Error::Io`]).
pub(crate) fn save_images(results: BatchResults, dir: PathBuf) -> SavedImages {
    BatchStream::new(results.then(move |item| {
        let dir = dir.clone();
        async move {
            let (key, answer) = item?;
            Ok(match answer {
                Ok(mut response) => SavedItem {
                    images: save_response(&dir, &key, &response).await,
                    key,
                    usage: response.usage_metadata.take(),
                },
                Err(error) => SavedItem {
                    key,
                    images: Err(Error::Api(error)),
                    usage: None,
                },
            })
        }
    }))
}

async fn save_response(
    dir: &Path,
    key: &str,
    response: &crate::types::GenerateContentResponse,
) -> Result<Vec<PathBuf>, Error> {
    let images = match response.outcome() {
        Outcome::Images(images) => images,
        Outcome::NoImage {
            finish_reason,
            message,
            text,
        } => {
            let mut reason =
                finish_reason.map_or_else(|| "no finish reason".into(), |r| r.to_string());
            if let Some(message) = message {
                reason.push_str(&format!(": {message}"));
            } else if !text.is_empty() {
                let text: String = text.chars().take(200).collect();
                reason.push_str(&format!(", text instead: {text:?}"));
            }
            return Err(Error::NoImage { reason });
        }
        Outcome::PromptBlocked { reason, message } => {
            let mut reason = format!(
                "the prompt was blocked ({})",
                reason.map_or_else(|| "no reason given".into(), |r| r.to_string())
            );
            if let Some(message) = message {
                reason.push_str(&format!(": {message}"));
            }
            return Err(Error::NoImage { reason });
        }
    };
    let stem = safe_file_stem(key);
    let mut paths = Vec::with_capacity(images.len());
    for (i, image) in images.iter().enumerate() {
        let name = match i {
            0 => format!("{stem}.{}", image.extension()),
            _ => format!("{stem}-{}.{}", i + 1, image.extension()),
        };
        let path = dir.join(name);
        tokio::fs::write(&path, &image.bytes)
            .await
            .map_err(|source| Error::Io {
                context: format!("writing {}", path.display()),
                source,
            })?;
        paths.push(path);
    }
    Ok(paths)
}
