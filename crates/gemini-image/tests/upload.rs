//! The resumable upload against a hand-written server of Google's protocol: chunks of 8 MiB at
//! the right offsets, the upload URL rebased onto the base URL, resumption after a cut chunk or
//! an answer without status (from a path, from bytes, from a reader), Google's plain-text 400.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use gemini_image::{Client, Error, RetryPolicy, UploadOptions, UploadSource};
use support::uploads::{Fault, UploadServer};

const MIB: usize = 1024 * 1024;
const KEY: &str = "upload-test-key-42";

fn client(server: &UploadServer) -> Client {
    support::quick_client(KEY, &server.url)
}

/// 20 MB that are not all the same byte, so a chunk in the wrong place shows.
fn data(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 4093) as u8).collect()
}

fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("gemini-upload-{name}-{}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test]
async fn a_20_mb_file_goes_in_8_mib_chunks_to_the_rebased_url_with_progress() {
    let server = UploadServer::start([]).await;
    let bytes = data(20 * 1000 * 1000);
    let path = temp_file("20mb.bin", &bytes);
    let reports = Arc::new(Mutex::new(Vec::new()));
    let seen = reports.clone();
    let file = client(&server)
        .files()
        .upload(
            path.as_path(),
            UploadOptions::new()
                .display_name("twenty")
                .on_progress(move |sent, total| seen.lock().unwrap().push((sent, total))),
        )
        .await
        .unwrap();
    std::fs::remove_file(&path).unwrap();
    assert_eq!(file.name.as_deref(), Some("files/fake123"));
    assert_eq!(file.size_bytes.as_deref(), Some("20000000"));
    assert!(server.received() == bytes, "the bytes arrived in order");
    let eight = 8 * MIB as u64;
    assert_eq!(
        server.commands(),
        [
            ("start".to_string(), None),
            ("upload".to_string(), Some(0)),
            ("upload".to_string(), Some(eight)),
            ("upload, finalize".to_string(), Some(2 * eight)),
        ]
    );
    let seen = server.seen();
    // Start: versioned upload path, the size and type in headers, the key in a header only.
    assert_eq!(seen[0].path, "/upload/v1beta/files");
    let start = |name: &str| {
        seen[0]
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(start("x-goog-upload-protocol"), Some("resumable"));
    assert_eq!(
        start("x-goog-upload-header-content-length"),
        Some("20000000")
    );
    assert_eq!(
        start("x-goog-upload-header-content-type"),
        Some("application/octet-stream")
    );
    assert!(start("x-goog-upload-file-name").is_some());
    assert_eq!(seen[0].api_key.as_deref(), Some(KEY));
    // The chunks went to the server's path and query on the client's host.
    for chunk in &seen[1..] {
        assert_eq!(
            chunk.path,
            "/upload/v1beta/files?upload_id=u1&upload_protocol=resumable"
        );
        assert!(!chunk.path.contains("key="));
    }
    assert_eq!(
        seen[1..].iter().map(|s| s.len).collect::<Vec<_>>(),
        [8 * MIB, 8 * MIB, 20_000_000 - 16 * MIB]
    );
    let reports = reports.lock().unwrap().clone();
    assert_eq!(
        reports,
        [
            (0, 20_000_000),
            (eight, 20_000_000),
            (2 * eight, 20_000_000),
            (20_000_000, 20_000_000)
        ]
    );
}

#[tokio::test]
async fn an_empty_file_is_one_finalizing_request() {
    let server = UploadServer::start([]).await;
    let file = client(&server)
        .files()
        .upload(Vec::new(), UploadOptions::new().mime_type("text/plain"))
        .await
        .unwrap();
    assert_eq!(file.size_bytes.as_deref(), Some("0"));
    assert_eq!(
        server.commands(),
        [
            ("start".to_string(), None),
            ("upload, finalize".to_string(), Some(0))
        ]
    );
}

#[tokio::test]
async fn a_cut_chunk_resumes_from_what_the_server_has_from_each_kind_of_source() {
    let bytes = data(17 * MIB + 5);
    let path = temp_file("cut.bin", &bytes);
    for kind in ["path", "bytes", "reader"] {
        // The first chunk's answer has no status: the client asks, and goes on. The second chunk
        // is cut after 3 MiB: the server keeps them, the client asks, and sends from 11 MiB on —
        // for a reader, from the chunk in hand and then fresh bytes.
        let server = UploadServer::start([Fault::NoStatus, Fault::CutAfter(3 * MIB)]).await;
        let source = match kind {
            "path" => UploadSource::path(&path),
            "bytes" => UploadSource::bytes(bytes.clone()),
            _ => UploadSource::reader(std::io::Cursor::new(bytes.clone()), bytes.len() as u64),
        };
        let file = client(&server)
            .files()
            .upload(source, UploadOptions::new())
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(file.size_bytes.as_deref(), Some("17825797"), "{kind}");
        assert!(
            server.received() == bytes,
            "{kind}: the bytes arrived in order"
        );
        let eight = 8 * MIB as u64;
        let eleven = 11 * MIB as u64;
        assert_eq!(
            server.commands(),
            [
                ("start".to_string(), None),
                ("upload".to_string(), Some(0)), // answered without status
                ("query".to_string(), None),
                ("upload".to_string(), Some(eight)), // cut after 3 MiB
                ("query".to_string(), None),
                ("upload, finalize".to_string(), Some(eleven)), // the last 6 MiB + 5
            ],
            "{kind}"
        );
    }
    std::fs::remove_file(&path).unwrap();
}

#[tokio::test]
async fn a_503_chunk_is_resumed_and_a_plain_text_400_is_the_error_as_sent() {
    let server = UploadServer::start([Fault::Unavailable]).await;
    client(&server)
        .files()
        .upload(data(1000), UploadOptions::new())
        .await
        .unwrap();
    assert_eq!(
        server.commands().len(),
        4,
        "start, 503, query, finalize: {:?}",
        server.commands()
    );

    let server = UploadServer::start([Fault::OffGranularity]).await;
    let error = client(&server)
        .files()
        .upload(data(1000), UploadOptions::new())
        .await
        .unwrap_err();
    let Error::Api(api) = &error else {
        panic!("{error:?}")
    };
    assert_eq!(api.http_status, 400);
    assert!(api.status.is_none());
    assert_eq!(
        api.message,
        "The client sent 821333 bytes, which is not a multiple of the 8388608 byte chunk granularity."
    );
    assert_eq!(server.commands().len(), 2, "a 400 is not retried");
}

#[tokio::test]
async fn resumption_is_bounded_by_the_retry_policy() {
    let server = UploadServer::start(vec![Fault::Unavailable; 10]).await;
    let client = client(&server).with_retry(
        RetryPolicy::default()
            .max_attempts(3)
            .initial_backoff(Duration::from_millis(5)),
    );
    let error = client
        .files()
        .upload(data(10), UploadOptions::new())
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(503), "{error}");
    let uploads = server
        .commands()
        .into_iter()
        .filter(|(c, _)| c.starts_with("upload"))
        .count();
    assert_eq!(uploads, 3, "{:?}", server.commands());
}

#[tokio::test]
async fn a_reader_shorter_than_announced_and_a_missing_file_are_io_errors() {
    let server = UploadServer::start([]).await;
    let error = client(&server)
        .files()
        .upload(
            UploadSource::reader(std::io::Cursor::new(vec![1u8; 10]), 20),
            UploadOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Io { .. }), "{error:?}");
    let error = client(&server)
        .files()
        .upload(
            std::path::Path::new("/nonexistent/nothing.png"),
            UploadOptions::new(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Io { context, .. } if context.contains("nothing.png")),
        "{error:?}"
    );
}

#[tokio::test]
async fn bytes_carry_a_file_name_only_when_given_one() {
    for (name, expected) in [(Some("cat.png"), Some("cat.png")), (None, None)] {
        // The scripted server takes one upload.
        let server = UploadServer::start([]).await;
        let options = match name {
            Some(name) => UploadOptions::new().file_name(name),
            None => UploadOptions::new(),
        };
        client(&server)
            .files()
            .upload(data(10), options)
            .await
            .unwrap();
        let seen = server.seen();
        let sent = seen[0]
            .headers
            .iter()
            .find(|(n, _)| n == "x-goog-upload-file-name")
            .map(|(_, v)| v.as_str());
        assert_eq!(sent, expected);
    }
}
