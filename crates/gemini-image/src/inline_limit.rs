//! The 20 MB limit of a request: Google refuses a `generateContent` (or `interactions`) request
//! whose body — the JSON with its images in base64 — is over 20 MB. An image sent through the
//! Files API counts only its URI. This module measures a request ([`request_size`]), picks the
//! images to upload so that it fits ([`Client::images_to_upload`]: the largest first, as few as
//! needed), and uploads them, putting a `fileData` part (URI and MIME type) where each
//! `inlineData` part was ([`Client::upload_images`]). [`Client::edit_image`] and
//! [`Chat`](crate::Chat) do both on their own unless
//! [`ClientBuilder::auto_upload`](crate::ClientBuilder::auto_upload) is off.
//!
//! The rules are written once, over [`InlineImages`]: any request whose inline images can be
//! listed and replaced by a file. `generateContent`'s request is one; the Interactions
//! request (`interaction_input.rs`) is the other.

use std::io;
use std::time::Duration;

use serde::Serialize;

use crate::Base64Bytes;
use crate::client::Client;
use crate::error::Error;
use crate::files::file_part;
use crate::types::{File, FileState, GenerateContentRequest, Part};
use crate::upload::UploadOptions;

/// The largest request, in bytes, sent with its images inline: Google's 20 MB, less 64 KiB for
/// what a measure of the body cannot see (Google's own accounting, a proxy's headers).
pub const INLINE_LIMIT: u64 = 20 * 1000 * 1000 - 64 * 1024;

/// What a `fileData` part may add to a request in place of an `inlineData` part: its key, its
/// MIME type and its URI (Google's are about 70 bytes), with room for a longer base URL.
const FILE_PART_ALLOWANCE: u64 = 512;

/// How long an uploaded image may take to become `ACTIVE`. Google's images are active at once;
/// the wait is for a server that processes them first.
const ACTIVE_WAIT: Duration = Duration::from_secs(60);

/// Where a part sits in a request: `request.contents[turn].parts[part]` (for an Interactions
/// request: `input[turn].content[part]`, `part` 0 for a content block of its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PartIndex {
    /// The index of the turn in `contents`.
    pub turn: usize,
    /// The index of the part in the turn's `parts`.
    pub part: usize,
}

/// The size in bytes of the JSON body the client sends for `request`, computed without
/// encoding its images: the rest of the request is written to a counter, and each image adds
/// its base64 length (4 bytes for every 3, rounded up).
///
/// ```
/// use gemini_image::{RequestBuilder, codec, image_part, request_size};
///
/// let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
/// png.resize(300_000, 0);
/// let request = RequestBuilder::image().parts(image_part(png)?).text("make it blue").build();
/// assert_eq!(request_size(&request), codec::to_body(&request)?.len() as u64);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn request_size(request: &GenerateContentRequest) -> u64 {
    size_of(request)
}

/// One inline image of a request.
pub(crate) struct InlineImage {
    pub(crate) at: PartIndex,
    pub(crate) data: Base64Bytes,
    pub(crate) mime_type: Option<String>,
}

/// A request whose inline images the limit's rules can see and replace.
pub(crate) trait InlineImages: Serialize + Clone {
    /// Every inline image, in order (their `Bytes` shared, not copied).
    fn inline_images(&self) -> Vec<InlineImage>;
    /// Empties the data of every inline image (to measure the rest).
    fn strip_images(&mut self);
    /// Names `file` where the inline image at `at` was, keeping the part's other fields;
    /// `false` when there is no inline image there.
    fn put_file(&mut self, at: PartIndex, file: &File) -> bool;
}

impl InlineImages for GenerateContentRequest {
    fn inline_images(&self) -> Vec<InlineImage> {
        let mut images = Vec::new();
        for (turn, content) in self.contents.iter().enumerate() {
            for (part, found) in content.parts.iter().enumerate() {
                if let Some(blob) = &found.inline_data
                    && let Some(data) = &blob.data
                {
                    images.push(InlineImage {
                        at: PartIndex { turn, part },
                        data: data.clone(),
                        mime_type: blob.mime_type.clone(),
                    });
                }
            }
        }
        images
    }

    fn strip_images(&mut self) {
        for part in self.contents.iter_mut().flat_map(|t| t.parts.iter_mut()) {
            if let Some(data) = inline_data(part) {
                *data = Base64Bytes::default();
            }
        }
    }

    fn put_file(&mut self, at: PartIndex, file: &File) -> bool {
        let Some(part) = self
            .contents
            .get_mut(at.turn)
            .and_then(|turn| turn.parts.get_mut(at.part))
            .filter(|part| part.inline_data.is_some())
        else {
            return false;
        };
        part.inline_data = None;
        part.file_data = file_part(file).file_data;
        true
    }
}

/// [`request_size`] for any request with inline images.
pub(crate) fn size_of<R: InlineImages>(request: &R) -> u64 {
    // Cloning shares the images' `Bytes`; only the small rest is copied.
    let mut rest = request.clone();
    rest.strip_images();
    json_len(&rest).saturating_add(images_len(request))
}

/// The base64 length of a request's inline images.
pub(crate) fn images_len<R: InlineImages>(request: &R) -> u64 {
    request
        .inline_images()
        .iter()
        .map(|image| base64_len(image.data.len()))
        .sum()
}

/// The length of `value` as JSON, written to a counter (nothing kept).
pub(crate) fn json_len<T: Serialize>(value: &T) -> u64 {
    let mut counter = ByteCounter(0);
    // The generated types always serialize (no map has a non-string key); if one ever did
    // not, the request could not be sent either, so it counts as too large.
    match serde_json::to_writer(&mut counter, value) {
        Ok(()) => counter.0,
        Err(_) => u64::MAX,
    }
}

impl Client {
    /// Which inline images (`inlineData` parts of `contents`) to upload so that `request` fits
    /// the client's inline limit: the largest first, as few as needed; none when it fits.
    /// [`Client::upload_images`] uploads them. [`Client::edit_image`] and
    /// [`Chat`](crate::Chat) call both on their own.
    ///
    /// ```
    /// # fn main() -> Result<(), gemini_image::Error> {
    /// use gemini_image::{Client, PartIndex, RequestBuilder, image_part};
    ///
    /// let image = |len: usize| {
    ///     let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    ///     png.resize(len, 0);
    ///     image_part(png)
    /// };
    /// let request = RequestBuilder::image()
    ///     .parts([image(9_000_000)?, image(6_000_000)?, image(300_000)?])
    ///     .text("put them side by side")
    ///     .build();
    /// let client = Client::builder().api_key("k").build()?;
    /// // 12 + 8 + 0.4 MB of base64: uploading the largest leaves 8.4 MB.
    /// assert_eq!(client.images_to_upload(&request)?, [PartIndex { turn: 0, part: 0 }]);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::RequestTooLarge`] when the request does not fit and automatic upload is off,
    /// or when it would not fit even with every inline image uploaded.
    pub fn images_to_upload(
        &self,
        request: &GenerateContentRequest,
    ) -> Result<Vec<PartIndex>, Error> {
        self.pick_uploads(request)
    }

    /// [`Client::images_to_upload`] for any request with inline images.
    pub(crate) fn pick_uploads<R: InlineImages>(
        &self,
        request: &R,
    ) -> Result<Vec<PartIndex>, Error> {
        let limit = self.inline_limit.unwrap_or(INLINE_LIMIT);
        let size = size_of(request);
        if size <= limit {
            return Ok(Vec::new());
        }
        let too_large = Error::RequestTooLarge { size, limit };
        if !self.auto_upload {
            return Err(too_large);
        }
        largest_first(request, size, limit).ok_or(too_large)
    }

    /// Uploads the inline images at `images` through the Files API, in that order, and puts a
    /// `fileData` part (the file's URI and MIME type) in place of each `inlineData` part; the
    /// part's other fields (a `thoughtSignature`) stay. `options` gives each upload its options
    /// (a progress callback, a display name); the MIME type is the part's unless they set one.
    /// Returns the files, in the order of `images`. The files live 48 hours.
    ///
    /// The request is changed as each upload ends, so after an error it names the files
    /// uploaded before it.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when an index is not an inline image of `request`; what
    /// [`Files::upload`](crate::Files::upload) and [`Files::wait_active`](crate::Files::wait_active)
    /// fail with.
    pub async fn upload_images(
        &self,
        request: &mut GenerateContentRequest,
        images: &[PartIndex],
        options: impl FnMut(PartIndex) -> UploadOptions,
    ) -> Result<Vec<File>, Error> {
        self.upload_inline(request, images, options).await
    }

    /// [`Client::upload_images`] for any request with inline images.
    pub(crate) async fn upload_inline<R: InlineImages>(
        &self,
        request: &mut R,
        images: &[PartIndex],
        mut options: impl FnMut(PartIndex) -> UploadOptions,
    ) -> Result<Vec<File>, Error> {
        let mut files = Vec::with_capacity(images.len());
        for &at in images {
            let image = request
                .inline_images()
                .into_iter()
                .find(|image| image.at == at)
                .ok_or_else(|| not_an_image(at))?;
            let mut upload = options(at);
            if upload.mime_type.is_none() {
                upload.mime_type = image.mime_type;
            }
            let mut file = self.files().upload(image.data.into_bytes(), upload).await?;
            let state = file.state.as_ref().and_then(|s| s.known());
            if matches!(state, Some(FileState::Processing)) {
                let name = file.name.clone().unwrap_or_default();
                file = self.files().wait_active(&name, ACTIVE_WAIT).await?;
            }
            if !request.put_file(at, &file) {
                return Err(not_an_image(at));
            }
            files.push(file);
        }
        Ok(files)
    }

    /// Makes `request` fit the inline limit, uploading what [`Client::images_to_upload`]
    /// picks; returns how many images were uploaded.
    pub(crate) async fn fit_inline_limit<R: InlineImages>(
        &self,
        request: &mut R,
    ) -> Result<usize, Error> {
        let images = self.pick_uploads(request)?;
        if images.is_empty() {
            return Ok(0);
        }
        tracing::info!(
            images = images.len(),
            "the request would pass the inline limit: uploading its largest images through \
             the Files API"
        );
        self.upload_inline(request, &images, |_| UploadOptions::new())
            .await?;
        Ok(images.len())
    }
}

/// The largest inline images of `request` whose upload brings it from `size` to `limit`, or
/// `None` when uploading all of them would not.
fn largest_first<R: InlineImages>(
    request: &R,
    mut size: u64,
    limit: u64,
) -> Option<Vec<PartIndex>> {
    let mut images: Vec<(u64, PartIndex)> = request
        .inline_images()
        .into_iter()
        .map(|image| (base64_len(image.data.len()), image.at))
        .collect();
    // Stable: of two images of one size, the earlier is uploaded first.
    images.sort_by_key(|&(encoded, _)| std::cmp::Reverse(encoded));
    let mut chosen = Vec::new();
    for (encoded, at) in images {
        if size <= limit {
            break;
        }
        size = size.saturating_sub(encoded) + FILE_PART_ALLOWANCE;
        chosen.push(at);
    }
    (size <= limit).then_some(chosen)
}

/// The data of an `inlineData` part, if it has any.
fn inline_data(part: &mut Part) -> Option<&mut Base64Bytes> {
    part.inline_data.as_mut()?.data.as_mut()
}

/// How long `len` bytes are in padded base64.
fn base64_len(len: usize) -> u64 {
    (len as u64).div_ceil(3) * 4
}

fn not_an_image(at: PartIndex) -> Error {
    Error::Config(format!(
        "part {} of turn {} is not an inline image",
        at.part, at.turn
    ))
}

/// Counts the bytes written to it, keeping none.
struct ByteCounter(u64);

impl io::Write for ByteCounter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0 += bytes.len() as u64;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RequestBuilder;
    use crate::types::{Blob, Content};

    fn image(len: usize) -> Part {
        Part {
            inline_data: Some(Blob {
                mime_type: Some("image/png".into()),
                data: Some(Base64Bytes::from(vec![7u8; len])),
                ..Blob::default()
            }),
            ..Part::default()
        }
    }

    fn client(limit: u64, auto_upload: bool) -> Client {
        Client::builder()
            .api_key("k")
            .inline_limit(limit)
            .auto_upload(auto_upload)
            .build()
            .unwrap()
    }

    #[test]
    fn the_size_is_the_bodys_to_the_byte() {
        for lengths in [&[][..], &[0], &[1, 2, 3], &[100_000, 5, 65_537]] {
            let mut signed = image(10);
            signed.thought_signature = Some(Base64Bytes::from(vec![1u8; 40]));
            let request = RequestBuilder::image()
                .system("be brief")
                .parts(lengths.iter().map(|&len| image(len)).collect::<Vec<_>>())
                .text("a \"quoted\" instruction, é")
                .turn(Content {
                    parts: vec![signed, "done".into()],
                    role: Some("model".into()),
                })
                .text("again")
                .build();
            let body = crate::codec::to_body(&request).unwrap();
            assert_eq!(request_size(&request), body.len() as u64, "{lengths:?}");
        }
    }

    #[test]
    fn the_largest_images_go_first_and_no_more_than_needed() {
        let request = RequestBuilder::image()
            .parts(vec![image(3000), image(9000), image(6000), image(9000)])
            .text("blend")
            .build();
        let size = request_size(&request);
        let at = |part| PartIndex { turn: 0, part };
        // Fits: nothing to upload.
        assert_eq!(client(size, true).images_to_upload(&request).unwrap(), []);
        // One byte over: the first of the two largest.
        assert_eq!(
            client(size - 1, true).images_to_upload(&request).unwrap(),
            [at(1)]
        );
        // Room for about one 6000-byte image in base64 (8000) and the rest.
        let others = size - base64_len(3000) - 2 * base64_len(9000) - base64_len(6000);
        let limit = others + base64_len(6000) + 2 * FILE_PART_ALLOWANCE + base64_len(3000);
        assert_eq!(
            client(limit, true).images_to_upload(&request).unwrap(),
            [at(1), at(3)]
        );
        // Only the text is left: every image goes.
        let all = client(others + 4 * FILE_PART_ALLOWANCE, true)
            .images_to_upload(&request)
            .unwrap();
        assert_eq!(all, [at(1), at(3), at(2), at(0)]);
    }

    #[test]
    fn a_request_that_cannot_fit_or_may_not_upload_is_refused() {
        let request = RequestBuilder::image()
            .parts(image(9000))
            .text("x".repeat(5000))
            .build();
        let size = request_size(&request);
        let refused = client(size - 1, false).images_to_upload(&request);
        assert!(
            matches!(refused, Err(Error::RequestTooLarge { size: s, limit }) if s == size && limit == size - 1),
            "{refused:?}"
        );
        // The text alone is over the limit: uploading would not help, so nothing is.
        let refused = client(4000, true).images_to_upload(&request);
        assert!(
            matches!(refused, Err(Error::RequestTooLarge { .. })),
            "{refused:?}"
        );
    }

    #[test]
    fn images_of_earlier_turns_count_and_may_go() {
        let request = RequestBuilder::image()
            .parts(image(12_000))
            .turn(Content {
                parts: vec![image(500)],
                role: Some("model".into()),
            })
            .parts(image(8000))
            .build();
        let size = request_size(&request);
        assert_eq!(
            client(size - 100, true).images_to_upload(&request).unwrap(),
            [PartIndex { turn: 0, part: 0 }]
        );
    }
}
