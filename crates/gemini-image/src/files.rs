//! The Files API: [`Files`] (upload, get, list, delete, download, wait until active) and the
//! parts that name a file in a request ([`file_part`]).
//!
//! `get`, `list` and `delete` are the generated client's (control plane); the upload
//! (`upload.rs`) and the download are file bytes, written by hand over the same transport
//! (data plane), streamed in bounded pieces.

use std::time::Duration;

use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::client::Client;
use crate::error::Error;
use crate::parts::IntoParts;
use crate::request::RequestBuilder;
use crate::transport::Answer;
use crate::types::{File, FileData, FileState, GenerateContentResponse, Part};
use crate::upload::{self, UploadOptions, UploadSource};

/// The Files API of a [`Client`]: [`Client::files`]. Upload inputs once (an image too large to
/// send inline: a request is at most 20 MB), use them by URI for 48 hours.
/// [`Client::edit_image`] and [`Chat`](crate::Chat) upload such images on their own.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let mock = gemini_image_mock::MockServer::start().await?;
/// use futures_util::TryStreamExt;
/// use gemini_image::{Client, UploadOptions};
///
/// let client = Client::builder().api_key("k").base_url(mock.uri()).build()?;
/// let files = client.files();
/// let file = files
///     .upload(b"hello, files".to_vec(), UploadOptions::new().mime_type("text/plain"))
///     .await?;
/// let name = file.name.clone().unwrap_or_default(); // files/abc123
/// assert_eq!(files.get(&name).await?.size_bytes.as_deref(), Some("12"));
/// let listed: Vec<_> = files.list(None).try_collect().await?;
/// assert!(listed.iter().any(|f| f.name == file.name));
/// files.delete(&name).await?;
/// assert_eq!(files.get(&name).await.unwrap_err().status(), Some(403));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Files {
    client: Client,
}

impl Client {
    /// The Files API: upload, get, list, delete, download, wait until a file is active.
    pub fn files(&self) -> Files {
        Files {
            client: self.for_gemini_api_only("the Files API"),
        }
    }

    /// Edits the images of `files` (uploaded with [`Client::files`]) as `instruction` says: the
    /// request names them by URI (`fileData`) instead of carrying their bytes.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = gemini_image_mock::MockServer::start().await?;
    /// # let mut png = std::io::Cursor::new(Vec::new());
    /// # image::RgbImage::from_pixel(8, 8, image::Rgb([200, 40, 40])).write_to(&mut png, image::ImageFormat::Png)?;
    /// # let png = png.into_inner();
    /// use gemini_image::{Client, ResponseExt, UploadOptions, models};
    ///
    /// let client = Client::builder().api_key("k").base_url(mock.uri()).build()?;
    /// let photo = client.files().upload(png, UploadOptions::new()).await?; // image/png, sniffed
    /// let edited = client
    ///     .edit_image_from_files(models::GEMINI_3_1_FLASH_IMAGE, &[photo], "make it blue")
    ///     .await?;
    /// assert_eq!(edited.images().len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// What [`Client::generate_content`] fails with: a file that does not exist (or expired) is
    /// [`Error::Api`] 403, one not yet `ACTIVE` is 400 `FAILED_PRECONDITION`.
    pub async fn edit_image_from_files(
        &self,
        model: &str,
        files: &[File],
        instruction: &str,
    ) -> Result<GenerateContentResponse, Error> {
        let request = RequestBuilder::image()
            .parts(files.iter().map(file_part).collect::<Vec<_>>())
            .text(instruction)
            .build();
        self.generate_content(model, &request).await
    }
}

/// The id in a file's name: `files/abc123`, `abc123` and the file's URI
/// (`https://generativelanguage.googleapis.com/v1beta/files/abc123`) all name `abc123`.
///
/// ```
/// use gemini_image::file_id;
///
/// assert_eq!(file_id("files/abc123"), "abc123");
/// assert_eq!(file_id("abc123"), "abc123");
/// assert_eq!(file_id("https://generativelanguage.googleapis.com/v1beta/files/abc123"), "abc123");
/// assert_eq!(file_id("https://example.com/v1beta/files/abc123:download?alt=media"), "abc123");
/// ```
pub fn file_id(name: &str) -> &str {
    let name = name.trim();
    let id = match name.rfind("/files/") {
        Some(at) => &name[at + "/files/".len()..],
        None => name.strip_prefix("files/").unwrap_or(name),
    };
    id.split([':', '?', '#', '/']).next().unwrap_or(id)
}

/// The id, checked: Google's ids are lowercase letters, digits and dashes.
fn checked_id(name: &str) -> Result<&str, Error> {
    checked(name, file_id(name), "a file")
}

/// `id` (read from `name`) when it can be a path segment of Google's: letters, digits, dashes
/// and underscores, not empty; else [`Error::Config`] saying `name` is not `what`.
pub(crate) fn checked<'a>(name: &str, id: &'a str, what: &str) -> Result<&'a str, Error> {
    if id.is_empty()
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(Error::Config(format!("{name:?} does not name {what}")));
    }
    Ok(id)
}

/// A `fileData` part naming an uploaded file (its URI and MIME type), for a request.
///
/// ```
/// use gemini_image::{IntoParts, RequestBuilder, file_part};
/// use gemini_image::types::File;
///
/// let file = File {
///     name: Some("files/abc123".into()),
///     uri: Some("https://generativelanguage.googleapis.com/v1beta/files/abc123".into()),
///     mime_type: Some("image/png".into()),
///     ..File::default()
/// };
/// let part = file_part(&file);
/// let data = part.file_data.as_ref().unwrap();
/// assert_eq!(data.mime_type.as_deref(), Some("image/png"));
///
/// // A file is a part of a turn as it is.
/// let request = RequestBuilder::image().parts(&file).text("add a hat").build();
/// assert_eq!(request.contents[0].parts[0], part);
/// ```
pub fn file_part(file: &File) -> Part {
    Part {
        file_data: Some(FileData {
            file_uri: file.uri.clone().or_else(|| file.name.clone()),
            mime_type: file.mime_type.clone(),
            ..FileData::default()
        }),
        ..Part::default()
    }
}

impl IntoParts for &File {
    fn into_parts(self) -> Vec<Part> {
        vec![file_part(self)]
    }
}

impl IntoParts for File {
    fn into_parts(self) -> Vec<Part> {
        vec![file_part(&self)]
    }
}

impl Files {
    /// Uploads `source` — a path (streamed from disk 8 MiB at a time), bytes, or a reader of a
    /// known length ([`UploadSource`]) — with Google's resumable protocol, and returns the file.
    ///
    /// The MIME type is the options' or, when not given, the one the first bytes say (else
    /// the file's extension's, else `application/octet-stream`). A chunk that fails (the
    /// connection, a 5xx, an answer without `x-goog-upload-status`) is resumed from where the
    /// server says it stopped, as often as the client's [`RetryPolicy`](crate::RetryPolicy)
    /// allows per chunk.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = gemini_image_mock::MockServer::start().await?;
    /// # let path = std::env::temp_dir().join(format!("upload-doc-{}.txt", std::process::id()));
    /// # std::fs::write(&path, "twelve bytes")?;
    /// use gemini_image::{Client, UploadOptions};
    ///
    /// let client = Client::builder().api_key("k").base_url(mock.uri()).build()?;
    /// let file = client
    ///     .files()
    ///     .upload(
    ///         path.as_path(),
    ///         UploadOptions::new()
    ///             .display_name("notes")
    ///             .on_progress(|sent, total| eprintln!("{sent}/{total}")),
    ///     )
    ///     .await?;
    /// assert_eq!(file.mime_type.as_deref(), Some("text/plain")); // from the extension
    /// assert_eq!(file.display_name.as_deref(), Some("notes"));
    /// # std::fs::remove_file(path)?;
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the source cannot be read (or ends early); [`Error::Api`] for a refusal
    /// (a chunk off the granularity keeps its status and plain-text message); what
    /// [`Client::generate_content`] fails with once the retries are used up; [`Error::Decode`]
    /// when the server breaks the protocol (no upload URL, no final status); [`Error::Config`]
    /// when a reader would have to go back further than the chunk in hand.
    pub async fn upload(
        &self,
        source: impl Into<UploadSource>,
        options: UploadOptions,
    ) -> Result<File, Error> {
        upload::upload(&self.client, source.into(), options).await
    }

    /// One file's metadata; `name` is `files/x`, `x` or the file's URI.
    ///
    /// # Errors
    ///
    /// [`Error::Api`] 403 `PERMISSION_DENIED` for a file that does not exist or has expired
    /// (Google does not say 404), else what [`Client::generate_content`] fails with;
    /// [`Error::Config`] for a name that is no file's.
    pub async fn get(&self, name: &str) -> Result<File, Error> {
        let id = checked_id(name)?;
        Ok(self.client.raw.get_file(id).await?.into_inner())
    }

    /// Deletes a file.
    ///
    /// # Errors
    ///
    /// What [`Files::get`] fails with.
    pub async fn delete(&self, name: &str) -> Result<(), Error> {
        let id = checked_id(name)?;
        self.client.raw.delete_file(id).await?;
        Ok(())
    }

    /// The project's files, page after page as the stream is read (`page_size` per request:
    /// Google's default is 10, its maximum 100).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = gemini_image_mock::MockServer::start().await?;
    /// use futures_util::TryStreamExt;
    ///
    /// let client = gemini_image::Client::builder().api_key("k").base_url(mock.uri()).build()?;
    /// let files: Vec<_> = client.files().list(Some(100)).try_collect().await?;
    /// for file in &files {
    ///     println!("{:?} {:?}", file.name, file.display_name);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn list(
        &self,
        page_size: Option<u32>,
    ) -> impl futures_core::Stream<Item = Result<File, Error>> + Send + 'static {
        let page_size = crate::paging::page_size(page_size);
        crate::paging::items(&self.client, move |client, token| async move {
            let page = client
                .raw
                .list_files(page_size, token.as_deref())
                .await?
                .into_inner();
            Ok(crate::paging::Page {
                items: page.files,
                next: page.next_page_token,
            })
        })
    }

    /// Writes a file's bytes to `writer` as they arrive (never the whole file in memory);
    /// returns how many were written. Google serves the bytes of generated files (batch
    /// results, for example), not of uploaded ones.
    ///
    /// The client's deadline covers the wait for the answer's head, not the whole download; the
    /// idle timeout ends a download that stalls.
    ///
    /// # Errors
    ///
    /// What [`Files::get`] fails with; [`Error::Transport`] when the body is cut short;
    /// [`Error::Io`] when `writer` fails.
    pub async fn download(
        &self,
        name: &str,
        mut writer: impl AsyncWrite + Unpin,
    ) -> Result<u64, Error> {
        let id = checked_id(name)?;
        let raw = &self.client.raw;
        let mut response = self.open_download(name).await?;
        let mut written = 0u64;
        let write_error = |source| Error::Io {
            context: format!("writing files/{id}"),
            source,
        };
        while let Some(piece) = raw.inner.next_piece(&mut response).await? {
            writer.write_all(&piece).await.map_err(write_error)?;
            written += piece.len() as u64;
        }
        writer.flush().await.map_err(write_error)?;
        Ok(written)
    }

    /// Asks for a file's bytes and hands out the answer's head, its body not read yet (read
    /// it with `Transport::next_piece` or `body_pieces`): the download, and the batch results
    /// read while they arrive.
    pub(crate) async fn open_download(&self, name: &str) -> Result<reqwest::Response, Error> {
        let id = checked_id(name)?;
        let raw = &self.client.raw;
        let url = format!("{}/files/{id}:download?alt=media", raw.baseurl);
        let mut request = raw
            .client
            .get(&url)
            .build()
            .map_err(|_| Error::Config(format!("cannot build a request to {url}")))?;
        raw.inner.prepare(&mut request);
        match raw.inner.execute(&raw.client, request, true).await? {
            Answer::Success(response) => Ok(response),
            Answer::Refused(refusal) => Err(Error::Api(refusal.error)),
        }
    }

    /// Polls a file until it is `ACTIVE` (large audio and video are `PROCESSING` for a while
    /// after their upload; images are active at once), waiting longer between polls (0.5 s
    /// doubling to 5 s), for at most `deadline`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = gemini_image_mock::MockServer::start().await?;
    /// use std::time::Duration;
    /// use gemini_image::UploadOptions;
    ///
    /// let client = gemini_image::Client::builder().api_key("k").base_url(mock.uri()).build()?;
    /// let file = client.files().upload(b"abc".to_vec(), UploadOptions::new()).await?;
    /// let name = file.name.unwrap_or_default();
    /// let active = client.files().wait_active(&name, Duration::from_secs(60)).await?;
    /// assert_eq!(active.state, Some(gemini_image::types::FileState::Active.into()));
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::FileFailed`] with the file's own message when its processing failed;
    /// [`Error::Timeout`] when it is still not active after `deadline`; what [`Files::get`]
    /// fails with.
    pub async fn wait_active(&self, name: &str, deadline: Duration) -> Result<File, Error> {
        crate::poll::until(deadline, || async {
            let file = self.get(name).await?;
            match file.state.as_ref().and_then(|s| s.known()) {
                Some(FileState::Active) => Ok(Some(file)),
                Some(FileState::Failed) => {
                    let message = file
                        .error
                        .as_ref()
                        .and_then(|e| e.message.clone())
                        .unwrap_or_else(|| "(no message)".into());
                    Err(Error::FileFailed {
                        name: file
                            .name
                            .unwrap_or_else(|| format!("files/{}", file_id(name))),
                        message,
                    })
                }
                _ => Ok(None),
            }
        })
        .await
    }
}
