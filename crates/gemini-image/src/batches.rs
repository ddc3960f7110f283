//! [`Batches`]: Gemini's batch mode (`models/{m}:batchGenerateContent`, `batches/…`) — half the
//! price, a 24-hour target. Create from inline requests or from a JSONL file
//! ([`BatchInput`]), get, list, cancel, delete, wait with progress, and read the results as a
//! stream while the results file downloads.
//!
//! The control plane (create, get, list, cancel, delete) is the generated client's: small JSON.
//! The results file is file bytes, read by hand through the Files API's download
//! (`Files::open_download`) and cut into lines as it arrives (`batch_results.rs`).

use std::fmt;
use std::path::Path;
use std::time::Duration;

use futures_core::Stream;

use crate::backend::Backend;
use crate::batch_input::{BatchInput, UniqueKeys};
use crate::batch_operation::{BatchExt, results_ready};
use crate::batch_results::{BatchResults, BatchStream, inline_results, results_from_pieces};
use crate::batch_save::SavedImages;
use crate::batch_state::JobState;
use crate::client::{Client, model_path};
use crate::error::Error;
use crate::inline_limit::{INLINE_LIMIT, InlineImages, images_len, json_len};
use crate::lifecycle;
use crate::types::{
    BatchGenerateContentRequest, BatchInputConfig, BatchOperation, GenerateContentBatch,
    GenerateContentRequest, InlinedRequest, InlinedRequests,
};
use crate::upload::UploadOptions;

/// How long [`Batches::results`] waits for the results file of a batch that reads `SUCCEEDED`
/// without naming it yet. Google sets it a moment after the state (how long is unconfirmed;
/// seconds in the reports): a minute covers that, and a longer gap is an error that says to
/// ask again, not a call that hangs.
pub const RESULTS_FILE_WAIT: Duration = Duration::from_secs(60);

/// The longest pause between two polls of [`Batches::wait`]: a batch takes minutes to hours,
/// and Google's own examples poll every 10 to 30 seconds.
const LONGEST_POLL: Duration = Duration::from_secs(30);

/// The batch mode of a [`Client`] ([`Client::batches`]).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let mock = gemini_image_mock::MockServer::start().await?;
/// use std::time::Duration;
/// use futures_util::TryStreamExt;
/// use gemini_image::{BatchExt, BatchOptions, Client, JobState, RequestBuilder, ResponseExt, models};
///
/// let client = Client::builder().api_key("k").base_url(mock.uri()).build()?;
/// let requests = [("fox", "a red fox"), ("whale", "a blue whale")]
///     .map(|(key, prompt)| (key, RequestBuilder::image().text(prompt).build()));
/// let batch = client
///     .batches()
///     .create_inline(models::GEMINI_3_1_FLASH_IMAGE, requests, BatchOptions::new().display_name("animals"))
///     .await?;
/// let name = batch.batch_name().unwrap_or_default().to_owned();
/// let done = client
///     .batches()
///     .wait(&name, Duration::from_secs(60), |progress| eprintln!("{:?}", progress.stats()))
///     .await?;
/// assert_eq!(done.state(), JobState::Succeeded);
/// let results: Vec<_> = client.batches().results(&done).await?.try_collect().await?;
/// for (key, answer) in results {
///     assert_eq!(answer?.images().len(), 1, "{key}");
/// }
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Batches {
    client: Client,
}

impl fmt::Debug for Batches {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batches")
            .field("client", &self.client)
            .finish()
    }
}

/// What a batch is created with besides its requests: a display name, a priority.
///
/// ```
/// use gemini_image::BatchOptions;
///
/// let options = BatchOptions::new().display_name("catalogue, spring").priority(10);
/// # let _ = options;
/// ```
#[derive(Clone, Debug, Default)]
#[must_use]
pub struct BatchOptions {
    display_name: Option<String>,
    priority: Option<i64>,
}

impl BatchOptions {
    /// No display name, the default priority (0).
    pub fn new() -> Self {
        Self::default()
    }

    /// A name for people.
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// Higher runs first among the project's batches (default 0).
    pub fn priority(mut self, priority: i64) -> Self {
        self.priority = Some(priority);
        self
    }

    fn batch(self, input_config: BatchInputConfig) -> GenerateContentBatch {
        GenerateContentBatch {
            display_name: self.display_name,
            priority: self.priority.map(|p| p.to_string()),
            input_config: Some(input_config),
            ..GenerateContentBatch::default()
        }
    }
}

impl Client {
    /// Batch mode: create, get, list, cancel, delete, wait, and read results.
    pub fn batches(&self) -> Batches {
        Batches {
            client: self.for_gemini_api_only("batch mode"),
        }
    }
}

/// The id in a batch's name: `batches/abc` and `abc` both name `abc`.
fn batch_id(name: &str) -> Result<&str, Error> {
    let id = name.trim();
    crate::files::checked(name, id.strip_prefix("batches/").unwrap_or(id), "a batch")
}

/// The body of an inline batch, each request with its key (checked unique and not empty).
fn inline_body<K, I>(
    requests: I,
    options: BatchOptions,
) -> Result<BatchGenerateContentRequest, Error>
where
    K: Into<String>,
    I: IntoIterator<Item = (K, GenerateContentRequest)>,
{
    let mut keys = UniqueKeys::default();
    let mut inlined = Vec::new();
    for (key, request) in requests {
        let key = keys.check(key.into())?;
        // Batch mode is the Gemini API's: a Vertex-only field would fail its line there.
        Backend::GeminiApi.check_request(&request)?;
        inlined.push(InlinedRequest {
            metadata: [("key".to_owned(), key)].into(),
            request: Some(request),
        });
    }
    let config = BatchInputConfig {
        requests: Some(InlinedRequests { requests: inlined }),
        ..BatchInputConfig::default()
    };
    Ok(BatchGenerateContentRequest {
        batch: Some(options.batch(config)),
    })
}

impl Batches {
    /// `batchGenerateContent` with the requests inline, each named by its key (the results
    /// carry it). The whole request must stay under Google's 20 MB (the client's
    /// [`inline_limit`](crate::ClientBuilder::inline_limit) when set): it is measured first,
    /// without encoding an image, and refused before anything is sent when it is larger — a
    /// larger batch goes as a file ([`create_from_requests`](Self::create_from_requests)).
    ///
    /// # Errors
    ///
    /// [`Error::InlineBatchTooLarge`]; [`Error::Config`] for a key given twice or empty, or a
    /// request with a field only Vertex AI has; what [`Client::generate_content`] fails with
    /// (the server's refusal, after retries).
    pub async fn create_inline<K, I>(
        &self,
        model: &str,
        requests: I,
        options: BatchOptions,
    ) -> Result<BatchOperation, Error>
    where
        K: Into<String>,
        I: IntoIterator<Item = (K, GenerateContentRequest)>,
    {
        let body = inline_body(requests, options)?;
        self.check_inline_size(&body)?;
        self.create(model, &body).await
    }

    /// `batchGenerateContent` for a JSONL input file already uploaded (`files/…`: a
    /// [`BatchInput`], or one of your own).
    ///
    /// # Errors
    ///
    /// What [`Client::generate_content`] fails with.
    pub async fn create_from_file(
        &self,
        model: &str,
        file_name: &str,
        options: BatchOptions,
    ) -> Result<BatchOperation, Error> {
        let file_name = format!("files/{}", crate::files::file_id(file_name));
        let config = BatchInputConfig {
            file_name: Some(file_name),
            ..BatchInputConfig::default()
        };
        let body = BatchGenerateContentRequest {
            batch: Some(options.batch(config)),
        };
        self.create(model, &body).await
    }

    /// Writes `requests` as a JSONL input file ([`BatchInput`]: on disk, a line at a time),
    /// uploads it through the Files API and creates the batch from it: any number of requests
    /// (up to Google's 2 GB a file), the memory of one request at a time.
    ///
    /// # Errors
    ///
    /// What [`BatchInput::write`], [`BatchInput::upload`] and
    /// [`create_from_file`](Self::create_from_file) fail with.
    pub async fn create_from_requests<K, I>(
        &self,
        model: &str,
        requests: I,
        options: BatchOptions,
    ) -> Result<BatchOperation, Error>
    where
        K: Into<String>,
        I: IntoIterator<Item = (K, GenerateContentRequest)>,
    {
        let input = BatchInput::write(requests).await?;
        let mut upload = UploadOptions::new();
        if let Some(name) = &options.display_name {
            upload = upload.display_name(name.clone());
        }
        let file = input.upload(&self.client.files(), upload).await?;
        drop(input);
        let name = file.name.ok_or_else(|| Error::Decode {
            what: "the uploaded file",
            message: "it has no name".into(),
        })?;
        self.create_from_file(model, &name, options).await
    }

    /// One batch; `name` is `batches/x` or `x`. Inline results are in it once it is done.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 404 for a batch that does not exist; what [`Client::generate_content`]
    /// fails with; [`Error::Config`] for a name that is no batch's.
    pub async fn get(&self, name: &str) -> Result<BatchOperation, Error> {
        let id = batch_id(name)?;
        Ok(self.client.raw.get_batch(id).await?.into_inner())
    }

    /// The project's batches, newest first, page after page as the stream is read
    /// (`page_size` per request). Listed batches carry no inline results: [`get`](Self::get)
    /// one for those.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = gemini_image_mock::MockServer::start().await?;
    /// use futures_util::TryStreamExt;
    /// use gemini_image::BatchExt;
    ///
    /// let client = gemini_image::Client::builder().api_key("k").base_url(mock.uri()).build()?;
    /// let batches: Vec<_> = client.batches().list(Some(50)).try_collect().await?;
    /// for batch in &batches {
    ///     println!("{:?} {} {:?}", batch.batch_name(), batch.state(), batch.stats());
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn list(
        &self,
        page_size: Option<u32>,
    ) -> impl Stream<Item = Result<BatchOperation, Error>> + Send + 'static {
        let page_size = crate::paging::page_size(page_size);
        crate::paging::items(&self.client, move |client: Client, token| async move {
            let page = client
                .raw
                .list_batches(page_size, token.as_deref())
                .await?
                .into_inner();
            Ok(crate::paging::Page {
                items: page.operations,
                next: page.next_page_token,
            })
        })
    }

    /// Cancels a batch that has not finished: it becomes `CANCELLED` and its pending requests
    /// are not run.
    ///
    /// # Errors
    ///
    /// What [`get`](Self::get) fails with.
    pub async fn cancel(&self, name: &str) -> Result<(), Error> {
        let id = batch_id(name)?;
        self.client.raw.cancel_batch(id).await?;
        Ok(())
    }

    /// Deletes a batch (its results file stays a file of the Files API until it expires).
    ///
    /// # Errors
    ///
    /// What [`get`](Self::get) fails with.
    pub async fn delete(&self, name: &str) -> Result<(), Error> {
        let id = batch_id(name)?;
        self.client.raw.delete_batch(id).await?;
        Ok(())
    }

    /// Polls a batch until its results can be read — it has stopped, and if it succeeded its
    /// output is named (Google may say `SUCCEEDED` a moment before it names the results file)
    /// — for at most `deadline`, pausing longer between polls (0.5 s doubling to 30 s).
    /// `on_progress` sees the batch after every poll ([`BatchExt::stats`] for its counts). The
    /// answer is the last Operation, whatever state it ended in: a failed batch's reason is
    /// [`BatchExt::failure`], and [`results`](Self::results) fails with it.
    ///
    /// # Errors
    ///
    /// [`Error::Timeout`] when it is still not done after `deadline`; what
    /// [`get`](Self::get) fails with.
    pub async fn wait(
        &self,
        name: &str,
        deadline: Duration,
        on_progress: impl FnMut(&BatchOperation) + Send,
    ) -> Result<BatchOperation, Error> {
        // A mutex (never contended: one poll at a time) so that the future stays `Send`.
        let on_progress = std::sync::Mutex::new(on_progress);
        let on_progress = &on_progress;
        crate::poll::until_with(deadline, LONGEST_POLL, || async move {
            let batch = self.get(name).await?;
            if let Ok(mut report) = on_progress.lock() {
                report(&batch);
            }
            Ok(results_ready(&batch).then_some(batch))
        })
        .await
    }

    /// The results of a finished batch, one `(key, answer or that request's error)` per
    /// request: from the Operation for inline input, from the results file for file input —
    /// read while it downloads, a line at a time, each image decoded once from the line (see
    /// [`results_from_pieces`](crate::results_from_pieces)); the file is never held whole.
    ///
    /// A batch that reads `SUCCEEDED` without naming its results file yet is asked about
    /// again for up to [`RESULTS_FILE_WAIT`].
    ///
    /// # Errors
    ///
    /// [`Error::BatchFailed`] for a batch that ended without results (with its `error` when
    /// it failed); [`Error::BatchNotReady`] for one that has not finished, or whose results
    /// file did not appear in time; what [`Files::download`](crate::Files::download) fails
    /// with before the first byte. Later failures are items of the stream.
    pub async fn results(&self, batch: &BatchOperation) -> Result<BatchResults, Error> {
        let name = batch.batch_name().unwrap_or_default().to_owned();
        let batch = if results_ready(batch) || !batch.is_finished() {
            batch.clone()
        } else {
            // SUCCEEDED, output not named yet.
            match crate::poll::until(RESULTS_FILE_WAIT, || async {
                let batch = self.get(&name).await?;
                Ok(results_ready(&batch).then_some(batch))
            })
            .await
            {
                Ok(batch) => batch,
                Err(Error::Timeout(_)) => {
                    return Err(Error::BatchNotReady {
                        name,
                        state: batch.state(),
                    });
                }
                Err(error) => return Err(error),
            }
        };
        if let Some(responses) = batch.inlined_responses() {
            let items = inline_results(&batch, responses);
            return Ok(BatchStream::new(futures_util::stream::iter(items)));
        }
        if let Some(file) = batch.responses_file() {
            let response = self.client.files().open_download(file).await?;
            let pieces = self.client.raw.inner.body_pieces(response);
            return Ok(results_from_pieces(pieces));
        }
        let state = batch.state();
        if matches!(
            state,
            JobState::Failed | JobState::Cancelled | JobState::Expired
        ) {
            return Err(Error::BatchFailed {
                name,
                state,
                error: batch.failure(),
            });
        }
        Err(Error::BatchNotReady { name, state })
    }

    /// Saves every image of a finished batch's results to `dir` (created if needed) as the
    /// results arrive, named by key ([`safe_file_stem`](crate::safe_file_stem):
    /// `{key}.{ext}`, `{key}-2.{ext}` …); per key the paths written, or why there are none —
    /// the request's error, [`Error::NoImage`] with the model's reason, an [`Error::Io`].
    ///
    /// # Errors
    ///
    /// What [`results`](Self::results) fails with; [`Error::Io`] when `dir` cannot be
    /// created. Later failures are items of the stream.
    pub async fn save_images(
        &self,
        batch: &BatchOperation,
        dir: &Path,
    ) -> Result<SavedImages, Error> {
        let dir = dir.to_path_buf();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|source| Error::Io {
                context: format!("creating {}", dir.display()),
                source,
            })?;
        let results = self.results(batch).await?;
        Ok(crate::batch_save::save_images(results, dir))
    }

    /// `POST models/{model}:batchGenerateContent`.
    async fn create(
        &self,
        model: &str,
        body: &BatchGenerateContentRequest,
    ) -> Result<BatchOperation, Error> {
        lifecycle::warn_once(model);
        let answer = self
            .client
            .raw
            .batch_generate_content(model_path(model), body)
            .await?;
        Ok(answer.into_inner())
    }

    /// Refuses an inline batch over the limit: the JSON without its images written to a
    /// counter, each image counted as its base64 length.
    fn check_inline_size(&self, body: &BatchGenerateContentRequest) -> Result<(), Error> {
        let limit = self.client.inline_limit.unwrap_or(INLINE_LIMIT);
        let requests = || {
            body.batch
                .iter()
                .filter_map(|b| b.input_config.as_ref()?.requests.as_ref())
                .flat_map(|r| &r.requests)
                .filter_map(|r| r.request.as_ref())
        };
        let images: u64 = requests().map(images_len).sum();
        // Cloning shares the images' bytes; only the small rest is copied.
        let mut rest = body.clone();
        for request in rest
            .batch
            .iter_mut()
            .filter_map(|b| b.input_config.as_mut()?.requests.as_mut())
            .flat_map(|r| &mut r.requests)
            .filter_map(|r| r.request.as_mut())
        {
            request.strip_images();
        }
        let size = json_len(&rest).saturating_add(images);
        if size > limit {
            return Err(Error::InlineBatchTooLarge { size, limit });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offline() -> Batches {
        // No server: these batches are read without a call.
        Client::builder()
            .api_key("k")
            .base_url("http://127.0.0.1:9")
            .build()
            .map(|c| c.batches())
            .unwrap_or_else(|e| panic!("a client: {e}"))
    }

    fn operation(json: &str) -> BatchOperation {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("an Operation: {e}"))
    }

    #[tokio::test]
    async fn a_failed_batch_fails_with_its_own_error() {
        let failed = operation(
            r#"{"name": "batches/b1", "done": true,
                "metadata": {"state": "BATCH_STATE_FAILED", "name": "batches/b1"},
                "error": {"code": 9, "message": "The input file has no valid line."}}"#,
        );
        let Err(error) = offline().results(&failed).await else {
            panic!("no results")
        };
        let Error::BatchFailed {
            name,
            state,
            error: Some(api),
        } = &error
        else {
            panic!("{error}")
        };
        assert_eq!((name.as_str(), state), ("batches/b1", &JobState::Failed));
        assert_eq!(api.http_status, 400);
        assert!(
            error
                .to_string()
                .contains("The input file has no valid line."),
            "{error}"
        );

        let expired =
            operation(r#"{"name": "batches/b2", "metadata": {"state": "JOB_STATE_EXPIRED"}}"#);
        let Err(Error::BatchFailed {
            state, error: None, ..
        }) = offline().results(&expired).await
        else {
            panic!("expired: no results")
        };
        assert_eq!(state, JobState::Expired);
    }

    #[tokio::test]
    async fn a_running_batch_has_no_results_yet() {
        let running = operation(
            r#"{"name": "batches/b3", "metadata": {"state": "BATCH_STATE_RUNNING",
                "batchStats": {"requestCount": "2", "pendingRequestCount": "2"}}}"#,
        );
        let Err(error) = offline().results(&running).await else {
            panic!("no results")
        };
        assert!(
            matches!(
                error,
                Error::BatchNotReady {
                    state: JobState::Running,
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.is_retryable());
    }

    #[test]
    fn the_inline_size_is_the_bodys_to_the_byte() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.resize(30_001, 7);
        let image = crate::image_part(png).unwrap_or_else(|e| panic!("{e}"));
        let requests = (0..3).map(|i| {
            let request = crate::RequestBuilder::image()
                .parts(image.clone())
                .text(format!("edit {i}"))
                .build();
            (format!("key-{i}"), request)
        });
        let body = inline_body(requests, BatchOptions::new().display_name("d").priority(3))
            .unwrap_or_else(|e| panic!("{e}"));
        let sent = crate::codec::to_body(&body).map_or(0, |b| b.len() as u64);
        let limited = |limit| {
            let client = Client::builder().api_key("k").inline_limit(limit).build();
            client.map(|c| c.batches().check_inline_size(&body))
        };
        assert!(matches!(limited(sent), Ok(Ok(()))));
        let Ok(Err(Error::InlineBatchTooLarge { size, .. })) = limited(sent - 1) else {
            panic!("over by one byte")
        };
        assert_eq!(size, sent);
    }

    #[test]
    fn batch_names_with_or_without_the_prefix() {
        assert_eq!(batch_id("batches/abc-1").ok(), Some("abc-1"));
        assert_eq!(batch_id("abc").ok(), Some("abc"));
        assert!(batch_id("batches/../x").is_err());
        assert!(batch_id("").is_err());
    }
}
