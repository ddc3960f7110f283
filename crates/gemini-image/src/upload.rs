//! The upload of the Files API — data plane, written by hand: Google's resumable protocol.
//!
//! 1. **Start**: `POST {base}/upload/{version}/files` (`X-Goog-Upload-Command: start`, the
//!    size and MIME type in headers, the metadata as JSON) answers the URL the chunks go to.
//!    Its scheme, host and port are replaced by the client's base URL, as Google's SDKs do, so
//!    that a proxy or a mock receives the chunks too.
//! 2. **Chunks** of 8 MiB (a multiple of the server's granularity), each read from the source
//!    straight into a [`Bytes`] and sent without a copy: `upload` with its offset, `upload,
//!    finalize` for the last, whose answer is the [`File`].
//! 3. **Resumption**: a chunk that fails (the connection, a 5xx, an answer without
//!    `x-goog-upload-status`) is followed by `X-Goog-Upload-Command: query`, whose
//!    `x-goog-upload-size-received` says where to go on from; the attempts of one chunk are the
//!    client's [`RetryPolicy`](crate::RetryPolicy)'s, through the transport's one retry loop.
//!
//! At most two chunks are in memory (the one sent and, for a reader, the one before it, which
//! a resumption may need again).

use std::fmt;
use std::io::SeekFrom;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncSeekExt};

use crate::client::Client;
use crate::error::Error;
use crate::transport::Answer;
use crate::types::{CreateFileRequest, CreateFileResponse, File};

/// The size of a chunk: Google's granularity (8 MiB), as Google's SDKs send it.
pub(crate) const CHUNK_SIZE: u64 = 8 * 1024 * 1024;
/// A granularity above this is not believed (a chunk is held in memory).
const MAX_GRANULARITY: u64 = 64 * 1024 * 1024;
/// Bytes read from the start of a file to recognise its type when none is given.
const SNIFF_BYTES: u64 = 8 * 1024;

type Progress = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// What [`Files::upload`](crate::Files::upload) sends: a file on disk (read 8 MiB at a time,
/// never whole), bytes in memory, or a reader whose length is known in advance.
///
/// ```
/// use gemini_image::UploadSource;
///
/// let from_disk = UploadSource::from(std::path::Path::new("photo.png"));
/// let in_memory = UploadSource::from(b"hello".to_vec());
/// let reader = UploadSource::reader(std::io::Cursor::new(b"hello".to_vec()), 5);
/// assert_eq!(in_memory.len(), Some(5));
/// assert_eq!(reader.len(), Some(5));
/// assert_eq!(from_disk.len(), None); // known once the file is opened
/// ```
pub struct UploadSource(SourceKind);

enum SourceKind {
    Path(PathBuf),
    Bytes(Bytes),
    Reader {
        reader: Box<dyn AsyncRead + Send + Unpin>,
        len: u64,
    },
}

impl fmt::Debug for UploadSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            SourceKind::Path(path) => f.debug_tuple("Path").field(path).finish(),
            SourceKind::Bytes(bytes) => f.debug_struct("Bytes").field("len", &bytes.len()).finish(),
            SourceKind::Reader { len, .. } => f.debug_struct("Reader").field("len", len).finish(),
        }
    }
}

impl UploadSource {
    /// A file on disk, streamed from it 8 MiB at a time; a failed chunk is read again from
    /// where the server says it stopped.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        Self(SourceKind::Path(path.into()))
    }

    /// Bytes in memory; chunks are slices of them, not copies.
    pub fn bytes(bytes: impl Into<Bytes>) -> Self {
        Self(SourceKind::Bytes(bytes.into()))
    }

    /// A reader of exactly `len` bytes. It cannot go back, so a failed chunk can be resumed
    /// only from within the chunk in hand (which the upload keeps until the next one is sent).
    pub fn reader(reader: impl AsyncRead + Send + Unpin + 'static, len: u64) -> Self {
        Self(SourceKind::Reader {
            reader: Box::new(reader),
            len,
        })
    }

    /// Its length, when known without opening anything.
    pub fn len(&self) -> Option<u64> {
        match &self.0 {
            SourceKind::Path(_) => None,
            SourceKind::Bytes(bytes) => Some(bytes.len() as u64),
            SourceKind::Reader { len, .. } => Some(*len),
        }
    }

    /// Whether it is known to be empty.
    pub fn is_empty(&self) -> bool {
        self.len() == Some(0)
    }
}

impl From<PathBuf> for UploadSource {
    fn from(path: PathBuf) -> Self {
        Self::path(path)
    }
}

impl From<&Path> for UploadSource {
    fn from(path: &Path) -> Self {
        Self::path(path)
    }
}

impl From<&PathBuf> for UploadSource {
    fn from(path: &PathBuf) -> Self {
        Self::path(path.clone())
    }
}

impl From<Bytes> for UploadSource {
    fn from(bytes: Bytes) -> Self {
        Self::bytes(bytes)
    }
}

impl From<Vec<u8>> for UploadSource {
    fn from(bytes: Vec<u8>) -> Self {
        Self::bytes(bytes)
    }
}

impl From<&'static [u8]> for UploadSource {
    fn from(bytes: &'static [u8]) -> Self {
        Self::bytes(Bytes::from_static(bytes))
    }
}

/// The options of an upload: MIME type, display name, progress.
///
/// ```
/// use gemini_image::UploadOptions;
///
/// let options = UploadOptions::new()
///     .mime_type("image/png")
///     .display_name("the cat")
///     .on_progress(|sent, total| eprintln!("{sent} of {total} bytes"));
/// # let _ = options;
/// ```
#[derive(Clone, Default)]
#[must_use]
pub struct UploadOptions {
    pub(crate) mime_type: Option<String>,
    pub(crate) display_name: Option<String>,
    pub(crate) file_name: Option<String>,
    pub(crate) on_progress: Option<Progress>,
}

impl fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadOptions")
            .field("mime_type", &self.mime_type)
            .field("display_name", &self.display_name)
            .field("file_name", &self.file_name)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

impl UploadOptions {
    /// No options: the MIME type read from the bytes (else `application/octet-stream`), no
    /// display name.
    pub fn new() -> Self {
        Self::default()
    }

    /// The file's MIME type (`image/png`, `application/pdf`, `text/plain` …).
    pub fn mime_type(mut self, mime_type: impl Into<String>) -> Self {
        self.mime_type = Some(mime_type.into());
        self
    }

    /// A name for people (at most 512 characters).
    pub fn display_name(mut self, name: impl Into<String>) -> Self {
        self.display_name = Some(name.into());
        self
    }

    /// The file's name as sent in `X-Goog-Upload-File-Name`, as the official SDKs send a
    /// path's last component: for bytes or a reader that came from a file. A path source sends
    /// its own name without this.
    pub fn file_name(mut self, name: impl Into<String>) -> Self {
        self.file_name = Some(name.into());
        self
    }

    /// Called with (bytes the server has, total) before the first chunk and after each one —
    /// after a resumption too, so the count can go back.
    pub fn on_progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(progress));
        self
    }
}

/// A source opened for reading, by chunk.
enum Source {
    Bytes(Bytes),
    File {
        file: tokio::fs::File,
        path: PathBuf,
        /// Where the next read starts.
        position: u64,
    },
    Reader {
        reader: Box<dyn AsyncRead + Send + Unpin>,
        /// Bytes read from it so far.
        position: u64,
        /// The last chunk read, from `held_start` to `position`: a resumption may need it.
        held: Bytes,
        held_start: u64,
    },
}

/// An opened source and what is known about it.
struct Opened {
    source: Source,
    len: u64,
    /// The type the first bytes say, if they say one.
    sniffed: Option<&'static str>,
    /// The file's name, for `X-Goog-Upload-File-Name`.
    file_name: Option<String>,
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { context, source }
}

fn sniff(head: &[u8]) -> Option<&'static str> {
    infer::get(head).map(|kind| kind.mime_type())
}

/// The type a file's extension says, for the kinds `infer` does not recognise from the bytes.
fn by_extension(path: &Path) -> Option<&'static str> {
    let extension = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match extension.as_str() {
        "txt" => "text/plain",
        "md" => "text/markdown",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "json" => "application/json",
        "jsonl" => "application/jsonl",
        "svg" => "image/svg+xml",
        _ => return None,
    })
}

impl Opened {
    async fn open(source: UploadSource, sniff_type: bool) -> Result<Self, Error> {
        Ok(match source.0 {
            SourceKind::Bytes(bytes) => Opened {
                len: bytes.len() as u64,
                sniffed: if sniff_type { sniff(&bytes) } else { None },
                file_name: None,
                source: Source::Bytes(bytes),
            },
            SourceKind::Reader { reader, len } => Opened {
                source: Source::Reader {
                    reader,
                    position: 0,
                    held: Bytes::new(),
                    held_start: 0,
                },
                len,
                sniffed: None,
                file_name: None,
            },
            SourceKind::Path(path) => {
                let context = || format!("reading {}", path.display());
                let mut file = tokio::fs::File::open(&path).await.map_err(io(context()))?;
                let len = file.metadata().await.map_err(io(context()))?.len();
                let mut sniffed = None;
                let mut position = 0;
                if sniff_type {
                    let mut head = BytesMut::with_capacity(SNIFF_BYTES as usize);
                    read_up_to(&mut file, &mut head, SNIFF_BYTES.min(len) as usize)
                        .await
                        .map_err(io(context()))?;
                    position = head.len() as u64;
                    sniffed = sniff(&head).or_else(|| by_extension(&path));
                }
                Opened {
                    file_name: path
                        .file_name()
                        .and_then(|name| name.to_str())
                        .map(str::to_string),
                    source: Source::File {
                        file,
                        path,
                        position,
                    },
                    len,
                    sniffed,
                }
            }
        })
    }
}

/// Reads until `buffer` holds `len` bytes or the reader ends; never more than `len`.
async fn read_up_to(
    reader: &mut (impl AsyncRead + Unpin + ?Sized),
    buffer: &mut BytesMut,
    len: usize,
) -> std::io::Result<()> {
    buffer.reserve(len.saturating_sub(buffer.len()));
    while buffer.len() < len {
        let room = len - buffer.len();
        let mut limited = (&mut *buffer).limit(room);
        if reader.read_buf(&mut limited).await? == 0 {
            break;
        }
    }
    Ok(())
}

/// Reads exactly `len` more bytes into `buffer`.
async fn read_exactly(
    reader: &mut (impl AsyncRead + Unpin + ?Sized),
    buffer: &mut BytesMut,
    len: usize,
    what: impl Fn() -> String,
) -> Result<(), Error> {
    let wanted = buffer.len() + len;
    read_up_to(reader, buffer, wanted)
        .await
        .map_err(io(what()))?;
    if buffer.len() < wanted {
        return Err(Error::Io {
            context: what(),
            source: std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "it ended before the length the upload announced",
            ),
        });
    }
    Ok(())
}

impl Source {
    /// The bytes from `offset` to `offset + len`.
    async fn chunk(&mut self, offset: u64, len: u64) -> Result<Bytes, Error> {
        let want =
            usize::try_from(len).map_err(|_| Error::Config("a chunk larger than memory".into()))?;
        match self {
            Source::Bytes(bytes) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX);
                let end = start.saturating_add(want);
                if end > bytes.len() {
                    return Err(Error::Config(format!(
                        "the upload asked for bytes {start}..{end} of {}",
                        bytes.len()
                    )));
                }
                Ok(bytes.slice(start..end))
            }
            Source::File {
                file,
                path,
                position,
            } => {
                let what = || format!("reading {}", path.display());
                if *position != offset {
                    file.seek(SeekFrom::Start(offset))
                        .await
                        .map_err(io(what()))?;
                }
                let mut buffer = BytesMut::with_capacity(want);
                read_exactly(file, &mut buffer, want, what).await?;
                *position = offset + len;
                Ok(buffer.freeze())
            }
            Source::Reader {
                reader,
                position,
                held,
                held_start,
            } => {
                let what = || "reading the upload's reader".to_string();
                let chunk = if offset == *position {
                    let mut buffer = BytesMut::with_capacity(want);
                    read_exactly(reader, &mut buffer, want, what).await?;
                    buffer.freeze()
                } else if offset >= *held_start && offset < *position {
                    // A resumption within the chunk in hand: its rest, then fresh bytes.
                    let from = usize::try_from(offset - *held_start).unwrap_or(usize::MAX);
                    let rest = held.slice(from.min(held.len())..);
                    if rest.len() >= want {
                        rest.slice(..want)
                    } else {
                        let mut buffer = BytesMut::with_capacity(want);
                        buffer.extend_from_slice(&rest);
                        read_exactly(reader, &mut buffer, want - rest.len(), what).await?;
                        buffer.freeze()
                    }
                } else {
                    return Err(Error::Config(format!(
                        "the upload must go on from byte {offset}, which a reader at byte \
                         {position} no longer has (upload from a path or from bytes to resume \
                         anywhere)"
                    )));
                };
                *position = (*position).max(offset + len);
                *held = chunk.clone();
                *held_start = offset;
                Ok(chunk)
            }
        }
    }
}

/// Where the chunks go, and how big they are.
struct Session {
    url: reqwest::Url,
    chunk: u64,
}

/// What a chunk's answer said.
enum Sent {
    /// The server has it; more to come.
    Active,
    /// The upload is complete.
    Final(Box<File>),
}

/// Why a chunk did not get through.
enum Failed {
    /// It may have partly arrived: ask the server, go on from there.
    Interrupted(Error),
    /// Refused: the upload ends with this error.
    Refused(Error),
}

const STATUS: &str = "x-goog-upload-status";

/// `upload`: start, chunks, resumptions.
pub(crate) async fn upload(
    client: &Client,
    source: UploadSource,
    options: UploadOptions,
) -> Result<File, Error> {
    let Opened {
        mut source,
        len,
        sniffed,
        file_name,
    } = Opened::open(source, options.mime_type.is_none()).await?;
    let mime_type = options
        .mime_type
        .clone()
        .or_else(|| sniffed.map(str::to_string))
        .unwrap_or_else(|| "application/octet-stream".to_string());
    let file_name = options.file_name.clone().or(file_name);
    let session = start(client, len, &mime_type, &options, file_name.as_deref()).await?;
    let progress = |sent: u64| {
        if let Some(hook) = &options.on_progress {
            hook(sent, len);
        }
    };
    progress(0);
    let mut offset = 0;
    loop {
        // Each chunk has the attempts of the policy; a long upload is not one call's budget.
        let mut retries = client.raw.inner.retries();
        let (file, sent) = loop {
            let size = session.chunk.min(len - offset);
            let last = offset + size == len;
            let chunk = source.chunk(offset, size).await?;
            match send_chunk(client, &session, offset, chunk, last).await {
                Ok(Sent::Active) if last => {
                    return Err(protocol(
                        "all the bytes were sent, but the upload was not finalized",
                    ));
                }
                Ok(Sent::Active) => break (None, offset + size),
                Ok(Sent::Final(file)) => break (Some(*file), len),
                Err(Failed::Refused(error)) => return Err(error),
                Err(Failed::Interrupted(error)) => {
                    if !retries.again_interrupted(&error).await {
                        return Err(error);
                    }
                    match query(client, &session).await? {
                        Queried::Final(file) => break (Some(*file), len),
                        Queried::Received(size) if size <= len => offset = size,
                        Queried::Received(size) => {
                            return Err(protocol(&format!("the server has {size} bytes of {len}")));
                        }
                    }
                    tracing::info!(offset, "gemini-image: resuming the upload");
                    progress(offset);
                }
            }
        };
        progress(sent);
        if let Some(file) = file {
            return Ok(file);
        }
        offset = sent;
    }
}

fn protocol(message: &str) -> Error {
    Error::Decode {
        what: "the upload's answer",
        message: message.to_string(),
    }
}

/// `POST {base}/upload/{version}/files`: the session.
async fn start(
    client: &Client,
    len: u64,
    mime_type: &str,
    options: &UploadOptions,
    file_name: Option<&str>,
) -> Result<Session, Error> {
    let body = CreateFileRequest {
        file: Some(File {
            display_name: options.display_name.clone(),
            mime_type: Some(mime_type.to_string()),
            size_bytes: Some(len.to_string()),
            ..File::default()
        }),
    };
    let body = serde_json::to_vec(&body).map_err(|e| Error::Decode {
        what: "the request",
        message: e.to_string(),
    })?;
    let url = format!("{}/upload/{}/files", client.base_url, client.api_version);
    let mut request = client
        .raw
        .client
        .post(&url)
        .header(CONTENT_TYPE, "application/json")
        .header("x-goog-upload-protocol", "resumable")
        .header("x-goog-upload-command", "start")
        .header("x-goog-upload-header-content-length", len.to_string())
        .header("x-goog-upload-header-content-type", mime_type);
    if let Some(name) =
        file_name.filter(|name| reqwest::header::HeaderValue::from_str(name).is_ok())
    {
        request = request.header("x-goog-upload-file-name", name);
    }
    let mut request = request
        .body(body)
        .build()
        .map_err(|_| Error::Config(format!("cannot build a request to {url}")))?;
    let transport = &client.raw.inner;
    transport.prepare(&mut request);
    let response = match transport
        .execute(&client.raw.client, request, false)
        .await?
    {
        Answer::Success(response) => response,
        Answer::Refused(refusal) => return Err(Error::Api(refusal.error)),
    };
    let headers = response.headers();
    let upload_url = header(headers, "x-goog-upload-url")
        .ok_or_else(|| protocol("the start answered no x-goog-upload-url"))?;
    let granularity = header(headers, "x-goog-upload-chunk-granularity")
        .and_then(|g| g.parse::<u64>().ok())
        .filter(|g| (1..=MAX_GRANULARITY).contains(g));
    // 8 MiB, rounded up to a multiple of the granularity.
    let chunk = granularity.map_or(CHUNK_SIZE, |g| CHUNK_SIZE.div_ceil(g) * g);
    Ok(Session {
        url: rebase(upload_url, &client.base_url)?,
        chunk,
    })
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name)?.to_str().ok()
}

/// The upload URL with the scheme, host and port of the base URL, as Google's SDKs rewrite it:
/// its path and query (the `upload_id`) are the server's.
fn rebase(upload_url: &str, base_url: &str) -> Result<reqwest::Url, Error> {
    let mut url = reqwest::Url::parse(upload_url)
        .map_err(|e| protocol(&format!("the upload URL {upload_url:?}: {e}")))?;
    let base = reqwest::Url::parse(base_url)
        .map_err(|e| Error::Config(format!("the base URL {base_url:?}: {e}")))?;
    let rebased = url
        .set_scheme(base.scheme())
        .and_then(|()| url.set_host(base.host_str()).map_err(|_| ()))
        .and_then(|()| url.set_port(base.port()));
    rebased
        .map_err(|()| Error::Config(format!("the base URL {base_url:?} cannot take uploads")))?;
    Ok(url)
}

/// A request to the session's URL.
fn session_request(
    client: &Client,
    session: &Session,
    command: &'static str,
    offset: Option<u64>,
    body: Bytes,
) -> Result<reqwest::Request, Error> {
    let mut request = client
        .raw
        .client
        .post(session.url.clone())
        .header("x-goog-upload-command", command)
        .header(CONTENT_TYPE, "application/octet-stream");
    if let Some(offset) = offset {
        request = request.header("x-goog-upload-offset", offset.to_string());
    }
    let mut request = request
        .body(body)
        .build()
        .map_err(|_| Error::Config("cannot build a request to the upload URL".into()))?;
    // The upload id is the chunks' credential; the key on them is harmless (Google's JS SDK
    // sends it) and never in the URL.
    client.raw.inner.prepare(&mut request);
    Ok(request)
}

/// One chunk, one attempt.
async fn send_chunk(
    client: &Client,
    session: &Session,
    offset: u64,
    chunk: Bytes,
    last: bool,
) -> Result<Sent, Failed> {
    let command = if last { "upload, finalize" } else { "upload" };
    let request =
        session_request(client, session, command, Some(offset), chunk).map_err(Failed::Refused)?;
    let transport = &client.raw.inner;
    match transport.once(&client.raw.client, request, false).await {
        Err(error) if error.is_retryable() => Err(Failed::Interrupted(error)),
        Err(error) => Err(Failed::Refused(error)),
        Ok(Answer::Refused(refusal)) => {
            let error = Error::Api(refusal.error);
            if error.is_retryable() {
                Err(Failed::Interrupted(error))
            } else {
                Err(Failed::Refused(error))
            }
        }
        Ok(Answer::Success(response)) => read_status(client, response).await.map_err(|error| {
            if matches!(error, Error::Decode { message: ref m, .. } if m.starts_with(NO_STATUS)) {
                Failed::Interrupted(error)
            } else {
                Failed::Refused(error)
            }
        }),
    }
}

const NO_STATUS: &str = "no x-goog-upload-status";

/// What a 2xx answer of the session URL says: `active`, or `final` with the file.
async fn read_status(client: &Client, response: reqwest::Response) -> Result<Sent, Error> {
    let status = header(response.headers(), STATUS).map(str::to_ascii_lowercase);
    match status.as_deref() {
        None => Err(protocol(&format!(
            "{NO_STATUS} header on a {} answer",
            response.status().as_u16()
        ))),
        Some("active") => Ok(Sent::Active),
        Some("final") => {
            let body = client.raw.inner.read_body(response).await?;
            let answer: CreateFileResponse =
                serde_json::from_slice(&body).map_err(|e| Error::Decode {
                    what: "CreateFileResponse",
                    message: e.to_string(),
                })?;
            answer
                .file
                .map(|file| Sent::Final(Box::new(file)))
                .ok_or_else(|| protocol("the final answer carries no file"))
        }
        Some(other) => Err(protocol(&format!("the upload is {other}"))),
    }
}

/// What `X-Goog-Upload-Command: query` said.
enum Queried {
    /// The upload is complete after all (the last chunk's answer was what got lost).
    Final(Box<File>),
    /// The server has this many bytes.
    Received(u64),
}

/// `X-Goog-Upload-Command: query`: how many bytes the server has, or the file if complete.
async fn query(client: &Client, session: &Session) -> Result<Queried, Error> {
    let request = session_request(client, session, "query", None, Bytes::new())?;
    let transport = &client.raw.inner;
    match transport
        .execute(&client.raw.client, request, false)
        .await?
    {
        Answer::Refused(refusal) => Err(Error::Api(refusal.error)),
        Answer::Success(response) => {
            let size = header(response.headers(), "x-goog-upload-size-received")
                .and_then(|size| size.parse::<u64>().ok());
            match (read_status(client, response).await?, size) {
                (Sent::Final(file), _) => Ok(Queried::Final(file)),
                (Sent::Active, Some(size)) => Ok(Queried::Received(size)),
                (Sent::Active, None) => Err(protocol(
                    "the query answered no x-goog-upload-size-received",
                )),
            }
        }
    }
}
