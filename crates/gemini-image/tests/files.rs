//! The Files API against the real `gemini-image-mock` over loopback: uploads of every size,
//! resumption after the mock's upload faults, get/list/delete, Google's 403, downloads of
//! generated files, waiting for a file to be processed, an edit from an uploaded image.

mod support;

use std::time::Duration;

use futures_util::TryStreamExt;
use gemini_image::types::{FileSource, FileState};
use gemini_image::{Client, Error, ResponseExt, UploadOptions, UploadSource, file_id};
use gemini_image_mock::{Config, MockServer, QueuedScenario, Scenario};

const KEY: &str = "files-test-key-777";
const MIB: usize = 1024 * 1024;

fn client(server: &MockServer) -> Client {
    support::quick_client(KEY, &server.uri())
}

fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + i / 65_521) as u8).collect()
}

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("gemini-files-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Downloads are for generated files: the mock's admin API makes one.
async fn generated(server: &MockServer, name: &str, bytes: Vec<u8>) {
    let answer = reqwest::Client::new()
        .post(format!(
            "{}/__mock/files?name={name}&mimeType=application/octet-stream",
            server.uri()
        ))
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 201);
}

/// The bytes the mock serves for an uploaded file are not downloadable; checks the upload
/// through its size and hash instead.
fn sha256_of(bytes: &[u8]) -> String {
    use base64::Engine;
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    base64::engine::general_purpose::STANDARD.encode(hex)
}

#[tokio::test]
async fn uploads_of_every_size_arrive_whole() {
    let server = MockServer::start().await.unwrap();
    let files = client(&server).files();
    for (label, len) in [
        ("empty", 0),
        ("small", 1000),
        ("exactly 8 MiB", 8 * MIB),
        ("20 MB+", 20 * 1000 * 1000 + 3),
    ] {
        let bytes = data(len);
        let path = temp_file(&format!("size-{len}.bin"), &bytes);
        let file = files
            .upload(
                path.as_path(),
                UploadOptions::new()
                    .mime_type("application/octet-stream")
                    .display_name(label),
            )
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        std::fs::remove_file(&path).unwrap();
        assert_eq!(file.size_bytes, Some(len.to_string()), "{label}");
        assert_eq!(file.display_name.as_deref(), Some(label));
        assert_eq!(file.state, Some(FileState::Active.into()), "{label}");
        assert_eq!(file.source, Some(FileSource::Uploaded.into()), "{label}");
        assert_eq!(file.sha256_hash, Some(sha256_of(&bytes)), "{label}");
        let chunks = server
            .received_requests()
            .into_iter()
            .filter(|r| r.path.starts_with("/upload/"))
            .count();
        let expected = 1 + len.div_ceil(8 * MIB).max(1);
        assert_eq!(chunks, expected, "{label}: start and chunks");
        server.reset();
    }
}

#[tokio::test]
async fn get_list_delete_and_googles_403() {
    let server = MockServer::start().await.unwrap();
    let files = client(&server).files();
    let mut names = Vec::new();
    for i in 0..3 {
        let file = files
            .upload(
                format!("file {i}").into_bytes(),
                UploadOptions::new().mime_type("text/plain"),
            )
            .await
            .unwrap();
        names.push(file.name.clone().unwrap());
    }
    // Every spelling of a name.
    let first = files.get(&names[0]).await.unwrap();
    assert_eq!(first.name, Some(names[0].clone()));
    let id = file_id(&names[0]).to_string();
    assert_eq!(files.get(&id).await.unwrap(), first);
    let uri = first.uri.clone().unwrap();
    assert_eq!(files.get(&uri).await.unwrap(), first);
    // Pages of one: the stream follows the tokens.
    let listed: Vec<String> = files
        .list(Some(1))
        .map_ok(|f| f.name.unwrap_or_default())
        .try_collect()
        .await
        .unwrap();
    let mut sorted = listed.clone();
    sorted.sort();
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(sorted, expected);
    let list_calls = server
        .received_requests()
        .into_iter()
        .filter(|r| r.path == "/v1beta/files")
        .count();
    assert!(list_calls >= 3, "{list_calls} pages");

    files.delete(&uri).await.unwrap();
    let error = files.get(&names[0]).await.unwrap_err();
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.http_status, 403);
    assert_eq!(api.status_name().as_deref(), Some("PERMISSION_DENIED"));
    assert!(api.message.contains(&id), "{}", api.message);
    assert!(!error.is_retryable());
    assert_eq!(
        files.delete(&names[0]).await.unwrap_err().status(),
        Some(403)
    );
    // A name that is no file's never leaves the client.
    assert!(matches!(
        files.get("files/../models").await,
        Err(Error::Config(_))
    ));
}

#[tokio::test]
async fn uploads_resume_after_the_mocks_upload_faults() {
    let server = MockServer::start().await.unwrap();
    let files = client(&server).files();
    let bytes = data(17 * MIB + 11);
    let path = temp_file("resume.bin", &bytes);
    for scenario in [Scenario::UploadCut, Scenario::UploadStatusMissing] {
        for source in [
            UploadSource::path(&path),
            UploadSource::bytes(bytes.clone()),
            UploadSource::reader(std::io::Cursor::new(bytes.clone()), bytes.len() as u64),
        ] {
            server.reset();
            server.enqueue(QueuedScenario::new(scenario.clone()).times(1));
            let kind = format!("{scenario:?} {source:?}");
            let file = files
                .upload(source, UploadOptions::new())
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(file.sha256_hash, Some(sha256_of(&bytes)), "{kind}");
            let journal = server.received_requests();
            assert!(
                journal.len() >= 5,
                "{kind}: start, a failed chunk, a query or a resend, the rest: {:?}",
                journal.iter().map(|r| r.status).collect::<Vec<_>>()
            );
        }
    }
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn downloads_stream_generated_files_and_uploaded_ones_are_refused() {
    let server = MockServer::start().await.unwrap();
    let files = client(&server).files();
    let bytes = data(3 * MIB + 7);
    generated(&server, "batch-results", bytes.clone()).await;
    let mut out = Vec::new();
    let written = files
        .download("files/batch-results", &mut out)
        .await
        .unwrap();
    assert_eq!(written, bytes.len() as u64);
    assert!(out == bytes);
    let sent = server.received_requests();
    let last = sent.last().unwrap();
    assert_eq!(last.path, "/v1beta/files/batch-results:download");
    assert_eq!(last.query.get("alt").map(String::as_str), Some("media"));
    assert!(!last.query.contains_key("key"));

    let uploaded = files
        .upload(b"mine".to_vec(), UploadOptions::new())
        .await
        .unwrap();
    let error = files
        .download(uploaded.name.as_deref().unwrap(), tokio::io::sink())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(400), "{error}");
}

#[tokio::test]
async fn wait_active_polls_until_the_file_is_processed() {
    let server = MockServer::start_with(Config {
        file_processing: Duration::from_millis(1200),
        ..Config::default()
    })
    .await
    .unwrap();
    let files = client(&server).files();
    let file = files
        .upload(data(1000), UploadOptions::new().mime_type("video/mp4"))
        .await
        .unwrap();
    assert_eq!(file.state, Some(FileState::Processing.into()));
    let name = file.name.unwrap();
    let error = files
        .wait_active(&name, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    let active = files
        .wait_active(&name, Duration::from_secs(20))
        .await
        .unwrap();
    assert_eq!(active.state, Some(FileState::Active.into()));
}

#[tokio::test]
async fn an_uploaded_image_is_edited_through_file_data() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(32, 32, image::Rgb([200, 40, 40]))
        .write_to(&mut png, image::ImageFormat::Png)
        .unwrap();
    let photo = client
        .files()
        .upload(png.into_inner(), UploadOptions::new())
        .await
        .unwrap();
    assert_eq!(photo.mime_type.as_deref(), Some("image/png"), "sniffed");
    let edited = client
        .edit_image_from_files(
            gemini_image::models::GEMINI_3_1_FLASH_IMAGE,
            std::slice::from_ref(&photo),
            "make it black and white",
        )
        .await
        .unwrap();
    let picture = image::load_from_memory(&edited.images()[0].bytes)
        .unwrap()
        .to_rgb8();
    let pixel = picture.get_pixel(0, 0);
    assert!(
        pixel[0].abs_diff(pixel[1]) <= 12 && pixel[1].abs_diff(pixel[2]) <= 12,
        "the uploaded red image came back grey: {pixel:?}"
    );
    let call = server.received_requests().pop().unwrap();
    assert!(call.path.ends_with(":generateContent"));
}

#[tokio::test]
async fn wait_active_ends_with_the_files_own_error_when_processing_failed() {
    let server = support::scripted::serve(support::scripted::Script {
        status: "200 OK",
        content_type: "application/json",
        body: br#"{"name": "files/broken1", "mimeType": "video/mp4", "state": "FAILED",
            "error": {"code": 400, "message": "The video could not be decoded."}}"#
            .to_vec(),
        piece: 1024,
    })
    .await;
    let error = support::quick_client(KEY, &server)
        .files()
        .wait_active("files/broken1", Duration::from_secs(10))
        .await
        .unwrap_err();
    let Error::FileFailed { name, message } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(name, "files/broken1");
    assert_eq!(message, "The video could not be decoded.");
    assert!(!error.is_retryable());
}
