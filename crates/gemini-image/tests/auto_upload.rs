//! Requests past Google's 20 MB against the real `gemini-image-mock` over loopback (whose
//! model routes refuse a body over 20 MiB, as Google refuses one over 20 MB): `edit_image` and
//! `Chat` upload the largest images through the Files API and name them by URI; a chat's
//! history keeps the file parts; with automatic upload off, nothing is sent.

use std::sync::OnceLock;

use futures_util::{StreamExt, TryStreamExt};
use gemini_image::{Client, Error, INLINE_LIMIT, ResponseExt, RetryPolicy, image_part, models};
use gemini_image_mock::{JournalEntry, MockServer};
use image::ImageEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use serde_json::Value;

const MODEL: &str = models::GEMINI_3_1_FLASH_IMAGE;
const CHAT_MODEL: &str = "gemini-3-pro-image";
/// Google's limit, which every request sent must stay under.
const GOOGLE_LIMIT: u64 = 20 * 1000 * 1000;

fn client(server: &MockServer) -> Client {
    Client::builder()
        .api_key("auto-upload-key")
        .base_url(server.uri())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

/// A real PNG of one colour, stored without compression: `side`² × 3 bytes that the mock
/// decodes in no time, and a flat picture whose edits encode small.
fn flat_png(side: u32, colour: [u8; 3]) -> Vec<u8> {
    let pixels: Vec<u8> = colour
        .iter()
        .copied()
        .cycle()
        .take(side as usize * side as usize * 3)
        .collect();
    let mut png = Vec::with_capacity(pixels.len() + 64 * 1024);
    PngEncoder::new_with_quality(
        &mut png,
        CompressionType::Uncompressed,
        FilterType::NoFilter,
    )
    .write_image(&pixels, side, side, image::ExtendedColorType::Rgb8)
    .unwrap();
    png
}

/// 15.9 MB of red: 21.2 MB in base64, over the limit on its own.
fn too_large_red() -> &'static [u8] {
    static PNG: OnceLock<Vec<u8>> = OnceLock::new();
    PNG.get_or_init(|| {
        let png = flat_png(2300, [200, 40, 40]);
        assert!(png.len() as u64 / 3 * 4 > GOOGLE_LIMIT, "{}", png.len());
        png
    })
}

fn model_calls(server: &MockServer) -> Vec<JournalEntry> {
    server
        .received_requests()
        .into_iter()
        .filter(|r| r.path.contains(":generateContent") || r.path.contains(":streamGenerate"))
        .collect()
}

fn upload_requests(server: &MockServer) -> usize {
    server
        .received_requests()
        .iter()
        .filter(|r| r.path.starts_with("/upload/"))
        .count()
}

/// The body's size as sent, from its `content-length`.
fn body_size(call: &JournalEntry) -> u64 {
    call.headers
        .get("content-length")
        .and_then(|length| length.parse().ok())
        .unwrap_or_else(|| panic!("no content-length: {:?}", call.headers))
}

/// A part of the request body as the journal kept it (each image's data replaced by its size).
fn part(call: &JournalEntry, turn: usize, part: usize) -> &Value {
    &call.body.as_ref().unwrap()["contents"][turn]["parts"][part]
}

#[tokio::test]
async fn an_edit_past_20_mb_uploads_the_image_and_sends_its_uri() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let edited = client
        .edit_image(MODEL, too_large_red().to_vec(), "make it black and white")
        .await
        .unwrap();

    let files: Vec<_> = client.files().list(None).try_collect().await.unwrap();
    assert_eq!(files.len(), 1, "{files:?}");
    let file = &files[0];
    assert_eq!(
        file.size_bytes,
        Some(too_large_red().len().to_string()),
        "the image itself was uploaded"
    );
    assert!(upload_requests(&server) >= 3, "start and two 8 MiB chunks");

    let calls = model_calls(&server);
    assert_eq!(calls.len(), 1);
    let sent = part(&calls[0], 0, 0);
    assert!(sent.get("inlineData").is_none(), "{sent}");
    assert_eq!(
        sent["fileData"]["fileUri"],
        file.uri.clone().unwrap().as_str()
    );
    assert_eq!(sent["fileData"]["mimeType"], "image/png");
    assert_eq!(part(&calls[0], 0, 1)["text"], "make it black and white");
    assert!(body_size(&calls[0]) < 1000, "{}", body_size(&calls[0]));
    assert_eq!(calls[0].status, 200);

    // The mock edited the uploaded red picture: it came back grey.
    let picture = image::load_from_memory(&edited.images()[0].bytes)
        .unwrap()
        .to_rgb8();
    let pixel = picture.get_pixel(10, 10);
    assert!(
        pixel[0].abs_diff(pixel[1]) <= 12 && pixel[1].abs_diff(pixel[2]) <= 12,
        "{pixel:?}"
    );
}

#[tokio::test]
async fn an_uploaded_image_is_edited_as_the_same_image_inline() {
    let server = MockServer::start().await.unwrap();
    let photo = flat_png(48, [30, 160, 90]);
    let inline = client(&server)
        .edit_image(MODEL, photo.clone(), "make it purple")
        .await
        .unwrap();
    // A limit of 1 000 bytes stands in for 20 MB: the same small photo is uploaded.
    let uploading = Client::builder()
        .api_key("auto-upload-key")
        .base_url(server.uri())
        .inline_limit(1_000)
        .build()
        .unwrap();
    let by_uri = uploading
        .edit_image(MODEL, photo, "make it purple")
        .await
        .unwrap();

    let calls = model_calls(&server);
    assert_eq!(calls.len(), 2);
    assert!(part(&calls[0], 0, 0).get("inlineData").is_some());
    assert!(part(&calls[1], 0, 0).get("fileData").is_some());
    assert!(body_size(&calls[1]) <= 1_000);
    assert_eq!(inline.images().len(), 1);
    assert_eq!(by_uri.images(), inline.images());
}

#[tokio::test]
async fn a_chat_uploads_once_when_its_history_passes_20_mb() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let mut chat = client.chat(CHAT_MODEL);
    // 10.8 MB and 7.7 MB: each fits alone (14.4 and 10.2 MB of base64), not both.
    let first = flat_png(1900, [200, 40, 40]);
    let second = flat_png(1600, [40, 40, 200]);

    chat.send([image_part(first).unwrap(), "make it black and white".into()])
        .await
        .unwrap();
    assert_eq!(upload_requests(&server), 0, "the first turn fits");
    assert!(chat.history()[0].parts[0].inline_data.is_some());

    // The second turn resends the first image: the larger of the two is uploaded, once.
    {
        let mut stream = chat
            .send_stream([image_part(second).unwrap(), "mirror it".into()])
            .await
            .unwrap();
        while let Some(chunk) = stream.next().await {
            chunk.unwrap();
        }
    }
    let uploads = upload_requests(&server);
    assert!(uploads >= 3, "start and two chunks: {uploads}");
    let files: Vec<_> = client.files().list(None).try_collect().await.unwrap();
    assert_eq!(files.len(), 1);
    let uri = files[0].uri.clone().unwrap();
    let calls = model_calls(&server);
    assert_eq!(calls.len(), 2);
    assert_eq!(part(&calls[1], 0, 0)["fileData"]["fileUri"], uri.as_str());
    assert!(part(&calls[1], 2, 0).get("inlineData").is_some());
    assert!(body_size(&calls[1]) < INLINE_LIMIT);
    // The history names the first image by its file from now on.
    assert_eq!(chat.history().len(), 4);
    let kept = &chat.history()[0].parts[0];
    assert!(kept.inline_data.is_none());
    assert_eq!(
        kept.file_data.as_ref().and_then(|f| f.file_uri.as_deref()),
        Some(uri.as_str())
    );

    // The third turn fits with the file part: nothing is uploaded again.
    let third = chat.send("make it black and white").await.unwrap();
    assert_eq!(third.images().len(), 1);
    assert_eq!(upload_requests(&server), uploads);
    let calls = model_calls(&server);
    assert_eq!(calls.len(), 3);
    assert_eq!(part(&calls[2], 0, 0)["fileData"]["fileUri"], uri.as_str());
    assert!(body_size(&calls[2]) < INLINE_LIMIT);
    assert_eq!(chat.history().len(), 6);
}

#[tokio::test]
async fn with_auto_upload_off_an_oversized_request_is_refused_and_nothing_is_sent() {
    let server = MockServer::start().await.unwrap();
    let off = Client::builder()
        .api_key("auto-upload-key")
        .base_url(server.uri())
        .auto_upload(false)
        .build()
        .unwrap();
    let refused = off
        .edit_image(MODEL, too_large_red().to_vec(), "make it blue")
        .await
        .unwrap_err();
    let Error::RequestTooLarge { size, limit } = refused else {
        panic!("{refused:?}")
    };
    assert!(size > GOOGLE_LIMIT, "{size}");
    assert_eq!(limit, INLINE_LIMIT);
    assert!(!refused.is_retryable());
    assert!(refused.to_string().contains("20 MB"), "{refused}");

    // Per call, and in a chat: the turn fails, the history stays empty.
    let mut chat = client(&server).with_auto_upload(false).chat(CHAT_MODEL);
    let turn = [image_part(too_large_red()).unwrap(), "make it blue".into()];
    let refused = chat.send(turn.clone()).await.unwrap_err();
    assert!(
        matches!(refused, Error::RequestTooLarge { .. }),
        "{refused:?}"
    );
    assert!(chat.send_stream(turn).await.is_err());
    assert!(chat.history().is_empty());

    let sent = server.received_requests();
    assert!(sent.is_empty(), "nothing is sent: {sent:?}");
}
