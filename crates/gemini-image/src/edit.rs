//! [`Client::edit_image`]: an image and an instruction, the image uploaded first when it would
//! push the request past Google's 20 MB (`inline_limit.rs`).

use bytes::Bytes;

use crate::client::Client;
use crate::error::Error;
use crate::images::image_part;
use crate::request::RequestBuilder;
use crate::types::GenerateContentResponse;

impl Client {
    /// Edits `image` (its bytes; the MIME type is read from them) as `instruction` says.
    ///
    /// Google refuses a request over 20 MB, and an image travels in base64 (4 bytes for every
    /// 3): an image over about 15 MB would not fit. Such an image is first uploaded through the
    /// [Files API](Client::files) and the request names it by URI (`fileData`) — the uploaded
    /// file lives 48 hours. [`ClientBuilder::auto_upload(false)`](crate::ClientBuilder::auto_upload)
    /// turns that off; the request is then refused before it is sent. The limit is
    /// [`INLINE_LIMIT`](crate::INLINE_LIMIT) unless
    /// [`ClientBuilder::inline_limit`](crate::ClientBuilder::inline_limit) sets another.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = gemini_image_mock::MockServer::start().await?;
    /// # let mut png = std::io::Cursor::new(Vec::new());
    /// # let mut seed = 7u32; // noise, which PNG cannot make smaller than 1 000 bytes
    /// # image::RgbImage::from_fn(32, 32, |_, _| {
    /// #     seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
    /// #     image::Rgb([seed as u8, (seed >> 8) as u8, (seed >> 16) as u8])
    /// # })
    /// # .write_to(&mut png, image::ImageFormat::Png)?;
    /// # let photo = png.into_inner();
    /// use futures_util::TryStreamExt;
    /// use gemini_image::{Client, ResponseExt, models};
    ///
    /// let client = Client::builder().api_key("k").base_url(mock.uri()).build()?;
    /// let edited = client.edit_image(models::GEMINI_3_1_FLASH_IMAGE, photo.clone(), "make it blue").await?;
    /// assert_eq!(edited.images().len(), 1);
    ///
    /// // With a limit of 1 000 bytes standing in for Google's 20 MB, the photo is uploaded first.
    /// let small_limit = Client::builder().api_key("k").base_url(mock.uri()).inline_limit(1_000).build()?;
    /// let edited = small_limit.edit_image(models::GEMINI_3_1_FLASH_IMAGE, photo, "make it blue").await?;
    /// assert_eq!(edited.images().len(), 1);
    /// let uploaded: Vec<_> = small_limit.files().list(None).try_collect().await?;
    /// assert_eq!(uploaded.len(), 1);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `image` is not a format Gemini reads (see [`image_part`]);
    /// [`Error::RequestTooLarge`] when the request would pass the limit and automatic upload is
    /// off; what [`Files::upload`](crate::Files::upload) fails with; else what
    /// [`Client::generate_content`] fails with.
    pub async fn edit_image(
        &self,
        model: &str,
        image: impl Into<Bytes>,
        instruction: &str,
    ) -> Result<GenerateContentResponse, Error> {
        let mut request = RequestBuilder::image()
            .parts(image_part(image)?)
            .text(instruction)
            .build();
        self.fit_inline_limit(&mut request).await?;
        self.generate_content(model, &request).await
    }
}
