//! [`BatchInput`]: a batch's JSONL input file, written line by line from keyed requests and
//! uploaded through the Files API — never the whole file in memory.
//!
//! The upload needs the file's length before its first byte (Google's resumable protocol
//! announces it in the start request), and a failed chunk is resumed from where the server
//! stopped, which a source that cannot go back does not allow. So the lines are written to a
//! file on disk first, counting, and the upload streams that file 8 MiB at a time: memory
//! holds one line (its images as bytes, its base64 written straight into the file by the
//! codec) and one chunk, whatever the size of the batch. Writing the requests twice instead
//! (once to count, once to send) would need an iterator that can be run twice and could not
//! resume a chunk.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncWriteExt, BufWriter};

use crate::backend::Backend;
use crate::error::Error;
use crate::files::Files;
use crate::types::{BatchInputLine, File, GenerateContentRequest};
use crate::upload::UploadOptions;

/// The MIME type the input file is uploaded with. Google's docs pass `jsonl`, others
/// `application/jsonl`; the server reads the lines whatever the type says (unconfirmed, and
/// easy to change here).
pub const BATCH_INPUT_MIME_TYPE: &str = "application/jsonl";

/// Bytes written to disk at a time: small lines are gathered, an image line goes through.
const WRITE_BUFFER: usize = 1024 * 1024;

/// A batch's input file (JSONL, one `{"key": …, "request": {…}}` a line), written on disk from
/// keyed requests ([`write`](Self::write)), then uploaded ([`upload`](Self::upload)) and named
/// in [`Batches::create_from_file`](crate::Batches::create_from_file) — or all three at once
/// with [`Batches::create_from_requests`](crate::Batches::create_from_requests).
///
/// The request fields are written with their JSON (lowerCamel) names, as `generateContent`
/// takes them: Google's batch reader takes proto JSON, which reads lowerCamel and snake_case
/// alike, and its docs mix both in one line (a third-party report of camelCase refused at the
/// top level is unconfirmed).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use gemini_image::{BatchInput, RequestBuilder};
///
/// let prompts = ["a red fox", "a blue whale"];
/// let input = BatchInput::write(
///     prompts.iter().enumerate().map(|(i, p)| (format!("img-{i}"), RequestBuilder::image().text(*p).build())),
/// )
/// .await?;
/// assert_eq!(input.lines(), 2);
/// let text = std::fs::read_to_string(input.path())?;
/// assert!(text.starts_with(r#"{"key":"img-0","request":{"contents":[{"#));
/// assert_eq!(text.len() as u64, input.len());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct BatchInput {
    path: PathBuf,
    len: u64,
    lines: u64,
    /// Written to a temporary file of ours: removed when dropped.
    temporary: bool,
}

impl BatchInput {
    /// Writes `requests` as a JSONL input file in the system's temporary directory; the file is
    /// removed when the `BatchInput` is dropped (after its upload).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be written; [`Error::Config`] for a key given twice
    /// (the results are named by key) or empty.
    pub async fn write<K, I>(requests: I) -> Result<Self, Error>
    where
        K: Into<String>,
        I: IntoIterator<Item = (K, GenerateContentRequest)>,
    {
        let name = format!(
            "gemini-image-batch-{}-{:016x}.jsonl",
            std::process::id(),
            fastrand::u64(..)
        );
        let mut input = Self::write_to(std::env::temp_dir().join(name), requests).await?;
        input.temporary = true;
        Ok(input)
    }

    /// Writes `requests` as a JSONL input file at `path` (kept: yours to remove).
    ///
    /// # Errors
    ///
    /// What [`write`](Self::write) fails with.
    pub async fn write_to<K, I>(path: impl Into<PathBuf>, requests: I) -> Result<Self, Error>
    where
        K: Into<String>,
        I: IntoIterator<Item = (K, GenerateContentRequest)>,
    {
        let path = path.into();
        let io_error = |source| Error::Io {
            context: format!("writing {}", path.display()),
            source,
        };
        let file = tokio::fs::File::create(&path).await.map_err(io_error)?;
        // From here the file is ours: an error removes it (the guard's drop).
        let mut input = BatchInput {
            path: path.clone(),
            len: 0,
            lines: 0,
            temporary: true,
        };
        let mut out = BufWriter::with_capacity(WRITE_BUFFER, file);
        let mut keys = UniqueKeys::default();
        for (key, request) in requests {
            let key = keys.check(key.into())?;
            // Batch mode is the Gemini API's: a Vertex-only field would fail its line there.
            Backend::GeminiApi.check_request(&request)?;
            let line = crate::codec::to_body(&BatchInputLine {
                key: Some(key),
                request: Some(request),
            })
            .map_err(|e| Error::Config(format!("a request cannot be written as JSON: {e}")))?;
            out.write_all(&line).await.map_err(io_error)?;
            out.write_all(b"\n").await.map_err(io_error)?;
            input.len += line.len() as u64 + 1;
            input.lines += 1;
        }
        out.flush().await.map_err(io_error)?;
        out.into_inner().sync_all().await.map_err(io_error)?;
        input.temporary = false;
        Ok(input)
    }

    /// Uploads the file through the Files API (streamed from disk, 8 MiB at a time, resumed on
    /// failure) as [`BATCH_INPUT_MIME_TYPE`], unless `options` names another type.
    ///
    /// # Errors
    ///
    /// What [`Files::upload`] fails with.
    pub async fn upload(&self, files: &Files, options: UploadOptions) -> Result<File, Error> {
        let options = match options.mime_type {
            Some(_) => options,
            None => options.mime_type(BATCH_INPUT_MIME_TYPE),
        };
        files.upload(self.path.as_path(), options).await
    }

    /// Where the file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Its size in bytes.
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// How many requests (lines) it holds.
    pub fn lines(&self) -> u64 {
        self.lines
    }
}

impl Drop for BatchInput {
    fn drop(&mut self) {
        if self.temporary {
            // Nothing to do about a file that cannot be removed (already gone, a read-only
            // directory): it is in the temporary directory.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The keys of a batch's requests seen so far: each must be given once, and not be empty —
/// the results are named by key (and saved to files named after it).
#[derive(Default)]
pub(crate) struct UniqueKeys(HashSet<String>);

impl UniqueKeys {
    pub(crate) fn check(&mut self, key: String) -> Result<String, Error> {
        if key.is_empty() {
            return Err(Error::Config("a batch request's key is empty".into()));
        }
        if !self.0.insert(key.clone()) {
            return Err(Error::Config(format!(
                "the key {key:?} is given to two requests of the batch (results are named by key)"
            )));
        }
        Ok(key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RequestBuilder;

    #[tokio::test]
    async fn a_key_given_twice_is_refused_and_the_file_removed() {
        let path = std::env::temp_dir().join(format!("batch-input-dup-{}", std::process::id()));
        let request = RequestBuilder::image().text("x").build();
        let error = BatchInput::write_to(
            &path,
            [
                ("a", request.clone()),
                ("b", request.clone()),
                ("a", request),
            ],
        )
        .await
        .unwrap_err();
        assert!(error.to_string().contains("\"a\""), "{error}");
        assert!(!path.exists());
    }

    #[tokio::test]
    async fn lines_parse_back_as_the_requests() {
        let requests: Vec<_> = (0..3)
            .map(|i| {
                (
                    format!("k{i}"),
                    RequestBuilder::image().text(format!("prompt {i}")).build(),
                )
            })
            .collect();
        let input = BatchInput::write(requests.clone()).await.unwrap();
        let path = input.path().to_path_buf();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<BatchInputLine> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 3);
        for (line, (key, request)) in lines.iter().zip(&requests) {
            assert_eq!(line.key.as_ref(), Some(key));
            assert_eq!(line.request.as_ref(), Some(request));
        }
        drop(input);
        assert!(!path.exists(), "a temporary input is removed");
    }
}
