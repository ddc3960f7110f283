//! The Files API over real loopback HTTP: resumable uploads as the SDKs send them, the `File`
//! resource, get/list/delete, downloads, expiry and processing on the mock's clock, `fileData`
//! in model calls, and the upload scenarios.

use std::time::Duration;

use gemini_image_mock::{Config, MockServer};
use reqwest::Method;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use support::with_key;

mod support;

const MIB8: usize = 8 * 1024 * 1024;

/// Answers of the upload URL: the status, the upload headers and the body.
struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Answer {
    async fn of(response: reqwest::Response) -> Self {
        Self {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.unwrap_or_default(),
        }
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// Starts an upload as google-genai (Python) does: snake_case body, size as a number.
async fn start(server: &MockServer, version: &str, size: usize, mime: &str, body: Value) -> Answer {
    let response = with_key(server, Method::POST, &format!("/upload/{version}/files"))
        .header("X-Goog-Upload-Protocol", "resumable")
        .header("X-Goog-Upload-Command", "start")
        .header("X-Goog-Upload-Header-Content-Length", size.to_string())
        .header("X-Goog-Upload-Header-Content-Type", mime)
        .json(&body)
        .send()
        .await
        .expect("the mock answers");
    Answer::of(response).await
}

/// The path and query of the upload URL a start answered with.
fn upload_path(start: &Answer) -> String {
    let url = start.header("x-goog-upload-url").expect("an upload URL");
    let (_, path) = url.split_once("://").expect("a URL");
    path[path.find('/').expect("a path")..].to_string()
}

/// Sends a chunk as the Python SDK does: no key, a junk JSON content type.
async fn send_chunk(
    server: &MockServer,
    path: &str,
    command: &str,
    offset: usize,
    bytes: Vec<u8>,
) -> Answer {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", server.uri()))
        .header("X-Goog-Upload-Command", command)
        .header("X-Goog-Upload-Offset", offset.to_string())
        .header("Content-Type", "application/json")
        .body(bytes)
        .send()
        .await
        .expect("the mock answers");
    Answer::of(response).await
}

async fn query(server: &MockServer, path: &str) -> Answer {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", server.uri()))
        .header("X-Goog-Upload-Command", "query")
        .send()
        .await
        .expect("the mock answers");
    Answer::of(response).await
}

/// Uploads `bytes` in chunks of `chunk` bytes as the SDKs do; returns the `File`.
async fn upload(server: &MockServer, bytes: &[u8], chunk: usize, mime: &str) -> Value {
    let started = start(server, "v1beta", bytes.len(), mime, json!({"file": {}})).await;
    assert_eq!(started.status, 200, "{}", started.body);
    let path = upload_path(&started);
    let mut offset = 0;
    loop {
        let end = (offset + chunk).min(bytes.len());
        let last = end == bytes.len();
        let command = if last { "upload, finalize" } else { "upload" };
        let answer = send_chunk(server, &path, command, offset, bytes[offset..end].to_vec()).await;
        assert_eq!(answer.status, 200, "{}", answer.body);
        if last {
            assert_eq!(answer.header("x-goog-upload-status"), Some("final"));
            return answer.json()["file"].clone();
        }
        assert_eq!(answer.header("x-goog-upload-status"), Some("active"));
        offset = end;
    }
}

fn sha256_hash(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    gemini_image_types::Base64Bytes::new(hex.into_bytes()).encode()
}

fn id_of(file: &Value) -> String {
    file["name"]
        .as_str()
        .and_then(|n| n.strip_prefix("files/"))
        .expect("files/{id}")
        .to_string()
}

async fn get(server: &MockServer, path: &str) -> Answer {
    Answer::of(
        with_key(server, Method::GET, path)
            .send()
            .await
            .expect("the mock answers"),
    )
    .await
}

fn pattern_bytes(length: usize) -> Vec<u8> {
    (0..length).map(|i| (i * 31 % 251) as u8).collect()
}

fn forbidden(id: &str) -> Value {
    json!({"error": {
        "code": 403,
        "message": format!("You do not have permission to access the File {id} or it may not exist."),
        "status": "PERMISSION_DENIED",
    }})
}

async fn advance(server: &MockServer, by: &str) {
    let response = reqwest::Client::new()
        .post(format!("{}/__mock/clock", server.uri()))
        .body(json!({"advance": by}).to_string())
        .send()
        .await
        .expect("the mock answers");
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_upload_as_the_sdks_send_it_gets_googles_headers_and_file() {
    let server = MockServer::start().await.unwrap();
    let bytes = b"hello".to_vec();
    let started = start(
        &server,
        "v1",
        bytes.len(),
        "text/plain",
        json!({"file": {"display_name": "Small One", "mime_type": "text/plain", "size_bytes": 5}}),
    )
    .await;
    assert_eq!(started.status, 200);
    assert_eq!(started.body, "");
    assert_eq!(
        started.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(started.header("x-goog-upload-status"), Some("active"));
    assert_eq!(
        started.header("x-goog-upload-chunk-granularity"),
        Some("8388608")
    );
    let url = started.header("x-goog-upload-url").unwrap();
    let upload_id = started.header("x-guploader-uploadid").unwrap();
    assert_eq!(
        url,
        format!(
            "http://{}/upload/v1/files?upload_id={upload_id}&upload_protocol=resumable",
            server.address()
        )
    );
    assert_eq!(started.header("x-goog-upload-control-url"), Some(url));

    // The chunk comes without a key, as from Python: the upload id is the credential.
    let path = upload_path(&started);
    let done = send_chunk(&server, &path, "upload, finalize", 0, bytes.clone()).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.header("x-goog-upload-status"), Some("final"));
    assert_eq!(
        done.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    let file = done.json()["file"].clone();
    assert_eq!(
        support::keys(&file),
        [
            "name",
            "displayName",
            "mimeType",
            "sizeBytes",
            "createTime",
            "updateTime",
            "expirationTime",
            "sha256Hash",
            "uri",
            "state",
            "source"
        ]
    );
    let id = id_of(&file);
    assert_eq!(id.len(), 12);
    assert!(
        id.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    );
    assert_eq!(file["displayName"], "Small One");
    assert_eq!(file["mimeType"], "text/plain");
    assert_eq!(file["sizeBytes"], "5");
    assert_eq!(file["sha256Hash"], sha256_hash(&bytes));
    assert_eq!(file["sha256Hash"].as_str().unwrap().len(), 88);
    assert_eq!(
        file["uri"],
        format!("https://generativelanguage.googleapis.com/v1beta/files/{id}")
    );
    assert_eq!(file["state"], "ACTIVE");
    assert_eq!(file["source"], "UPLOADED");
    let created = file["createTime"].as_str().unwrap();
    let expires = file["expirationTime"].as_str().unwrap();
    assert_eq!(
        created.len(),
        "2026-06-17T14:13:00.159379Z".len(),
        "{created}"
    );
    assert_eq!(
        expires.len(),
        "2026-06-19T14:12:59.403313302Z".len(),
        "{expires}"
    );
    assert_eq!(file["updateTime"], created);
    // 48 hours later: the same time of day, to the microsecond.
    assert_eq!(created[11..26], expires[11..26]);
    assert_ne!(created[..10], expires[..10]);

    // files.get answers the same resource, under any version.
    let got = get(&server, &format!("/v1beta/files/{id}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), file);

    // The journal: the chunk described by size and hash, never kept; the key redacted.
    let journal = server.received_requests();
    assert_eq!(journal[0].headers["x-goog-api-key"], "<redacted>");
    let chunk = &journal[1];
    assert!(chunk.body.is_none());
    let description = chunk.body_description.as_deref().unwrap();
    assert!(
        description.starts_with("<5 bytes, application/json, xxh3 "),
        "{description}"
    );
}

#[tokio::test]
async fn start_bodies_in_every_spelling_and_custom_names() {
    let server = MockServer::start().await.unwrap();
    // @google/genai: camelCase, size as a string.
    let js = start(
        &server,
        "v1beta",
        3,
        "image/png",
        json!({"file": {"mimeType": "image/png", "displayName": "JS", "sizeBytes": "3"}}),
    )
    .await;
    assert_eq!(js.status, 200, "{}", js.body);
    // The docs' curl: single quotes.
    let docs = with_key(&server, Method::POST, "/upload/v1beta/files")
        .header("X-Goog-Upload-Protocol", "resumable")
        .header("X-Goog-Upload-Command", "start")
        .header("X-Goog-Upload-Header-Content-Length", "3")
        .header("X-Goog-Upload-Header-Content-Type", "text/plain")
        .body("{'file': {'display_name': 'docs'}}")
        .send()
        .await
        .unwrap();
    let docs = Answer::of(docs).await;
    assert_eq!(docs.status, 200, "{}", docs.body);
    let path = upload_path(&docs);
    let file = send_chunk(&server, &path, "upload, finalize", 0, b"abc".to_vec())
        .await
        .json()["file"]
        .clone();
    assert_eq!(file["displayName"], "docs");
    assert_eq!(file["mimeType"], "text/plain");

    // A custom id, then the same id again, then one Google refuses.
    let custom = start(
        &server,
        "v1beta",
        1,
        "text/plain",
        json!({"file": {"name": "files/my-file-1"}}),
    )
    .await;
    let path = upload_path(&custom);
    let file = send_chunk(&server, &path, "upload, finalize", 0, b"x".to_vec())
        .await
        .json()["file"]
        .clone();
    assert_eq!(file["name"], "files/my-file-1");
    let again = start(
        &server,
        "v1beta",
        1,
        "text/plain",
        json!({"file": {"name": "my-file-1"}}),
    )
    .await;
    assert_eq!(again.status, 409, "{}", again.body);
    let bad = start(
        &server,
        "v1beta",
        1,
        "text/plain",
        json!({"file": {"name": "files/-Bad"}}),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(
        bad.json()["error"]["message"],
        "CreateFileRequest.file.name: File name may only contain lowercase alphanumeric characters or dashes (-) and cannot begin or end with a dash."
    );

    // The key is required to start, as on every API route.
    let keyless = reqwest::Client::new()
        .post(format!("{}/upload/v1beta/files", server.uri()))
        .header("X-Goog-Upload-Protocol", "resumable")
        .header("X-Goog-Upload-Command", "start")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(keyless.status(), 403);
    // An upload id the server never gave.
    let unknown = send_chunk(
        &server,
        "/upload/v1beta/files?upload_id=nope",
        "upload, finalize",
        0,
        vec![1],
    )
    .await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["error"]["status"], "NOT_FOUND");
    assert!(unknown.header("x-goog-upload-status").is_some());
}

#[tokio::test]
async fn sizes_at_the_edges_and_a_20_mb_file_in_8_mib_chunks() {
    let server = MockServer::start().await.unwrap();
    // An empty file: one `upload, finalize` with no bytes, as Python sends it.
    let empty = upload(&server, &[], MIB8, "text/plain").await;
    assert_eq!(empty["sizeBytes"], "0");
    assert_eq!(empty["sha256Hash"], sha256_hash(&[]));

    let exact = pattern_bytes(MIB8);
    let file = upload(&server, &exact, MIB8, "application/octet-stream").await;
    assert_eq!(file["sizeBytes"], MIB8.to_string());
    assert_eq!(file["sha256Hash"], sha256_hash(&exact));
    // The same bytes as a full chunk and then an empty last one.
    let started = start(
        &server,
        "v1beta",
        MIB8,
        "application/octet-stream",
        json!({}),
    )
    .await;
    let path = upload_path(&started);
    let first = send_chunk(&server, &path, "upload", 0, exact.clone()).await;
    assert_eq!(first.header("x-goog-upload-status"), Some("active"));
    let last = send_chunk(&server, &path, "upload, finalize", MIB8, Vec::new()).await;
    assert_eq!(last.json()["file"]["sha256Hash"], sha256_hash(&exact));

    let big = pattern_bytes(20_000_000);
    let file = upload(&server, &big, MIB8, "video/mp4").await;
    assert_eq!(file["sizeBytes"], "20000000");
    assert_eq!(file["sha256Hash"], sha256_hash(&big));
}

#[tokio::test]
async fn a_chunk_off_the_granularity_is_refused_in_plain_text_and_the_upload_resumes() {
    let server = MockServer::start().await.unwrap();
    let bytes = pattern_bytes(MIB8 + 1000);
    let started = start(&server, "v1beta", bytes.len(), "text/plain", json!({})).await;
    let path = upload_path(&started);
    let refused = send_chunk(&server, &path, "upload", 0, bytes[..821_333].to_vec()).await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.header("content-type"),
        Some("text/plain; charset=utf-8")
    );
    assert_eq!(
        refused.body,
        "The client sent 821333 bytes, which is not a multiple of the 8388608 byte chunk granularity."
    );
    assert_eq!(refused.header("x-goog-upload-status"), Some("active"));

    // Nothing was kept; the first chunk goes in, then the client loses track and asks.
    let first = send_chunk(&server, &path, "upload", 0, bytes[..MIB8].to_vec()).await;
    assert_eq!(first.status, 200);
    let asked = query(&server, &path).await;
    assert_eq!(asked.status, 200);
    assert_eq!(asked.header("x-goog-upload-status"), Some("active"));
    assert_eq!(asked.header("x-goog-upload-size-received"), Some("8388608"));
    // A wrong offset is refused in plain text too; the right one finishes the file.
    let wrong = send_chunk(
        &server,
        &path,
        "upload, finalize",
        0,
        bytes[MIB8..].to_vec(),
    )
    .await;
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body.starts_with("The client sent offset 0"),
        "{}",
        wrong.body
    );
    let done = send_chunk(
        &server,
        &path,
        "upload, finalize",
        MIB8,
        bytes[MIB8..].to_vec(),
    )
    .await;
    assert_eq!(done.json()["file"]["sha256Hash"], sha256_hash(&bytes));
    // A total other than the announced one is refused.
    let started = start(&server, "v1beta", 10, "text/plain", json!({})).await;
    let short = send_chunk(
        &server,
        &upload_path(&started),
        "upload, finalize",
        0,
        vec![0; 9],
    )
    .await;
    assert_eq!(short.status, 400);
}

#[tokio::test]
async fn get_list_in_pages_and_delete() {
    let server = MockServer::start().await.unwrap();
    assert_eq!(get(&server, "/v1beta/files").await.body, "{}\n");
    let mut ids = Vec::new();
    for i in 0..105u8 {
        ids.push(id_of(&upload(&server, &[i], MIB8, "text/plain").await));
    }
    // Newest first, ten to a page by default.
    let page = get(&server, "/v1/files").await.json();
    let names: Vec<&str> = page["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 10);
    assert_eq!(names[0], format!("files/{}", ids[104]));
    let token = page["nextPageToken"].as_str().unwrap();
    let next = get(&server, &format!("/v1/files?pageSize=10&pageToken={token}"))
        .await
        .json();
    assert_eq!(next["files"][0]["name"], format!("files/{}", ids[94]));
    // At most 100 a page, whatever is asked.
    let most = get(&server, "/v1beta/files?pageSize=1000").await.json();
    assert_eq!(most["files"].as_array().unwrap().len(), 100);
    let rest = get(
        &server,
        &format!(
            "/v1beta/files?pageSize=1000&pageToken={}",
            most["nextPageToken"].as_str().unwrap()
        ),
    )
    .await
    .json();
    assert_eq!(rest["files"].as_array().unwrap().len(), 5);
    assert!(rest.get("nextPageToken").is_none());
    assert_eq!(get(&server, "/v1beta/files?pageSize=x").await.status, 400);
    assert_eq!(get(&server, "/v1beta/files?pageSize=-1").await.status, 400);
    let zero = get(&server, "/v1beta/files?pageSize=0").await.json();
    assert_eq!(zero["files"].as_array().unwrap().len(), 10);

    // Delete: `{}` for the JS SDK's `{}` body and for Python's none; then it is gone.
    let deleted = with_key(&server, Method::DELETE, &format!("/v1/files/{}", ids[0]))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    assert_eq!(deleted.text().await.unwrap(), "{}\n");
    let deleted = with_key(&server, Method::DELETE, &format!("/v1/files/{}", ids[1]))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 200);
    let gone = get(&server, &format!("/v1beta/files/{}", ids[0])).await;
    assert_eq!(gone.status, 403);
    assert_eq!(gone.json(), forbidden(&ids[0]));
    let again = with_key(&server, Method::DELETE, &format!("/v1/files/{}", ids[0]))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 403);

    // The admin view lists metadata; reset forgets every file.
    let admin: Value = reqwest::get(format!("{}/__mock/files", server.uri()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin["files"].as_array().unwrap().len(), 103);
    assert_eq!(admin["bytes"], 103);
    server.reset();
    assert_eq!(get(&server, "/v1beta/files").await.body, "{}\n");
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 4) as u8, 200])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    picture
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("a PNG");
    out.into_inner()
}

fn edit_with(part: Value, instruction: &str) -> Value {
    json!({"contents": [{"role": "user", "parts": [part, {"text": instruction}]}],
           "generationConfig": {"responseModalities": ["IMAGE"]}})
}

async fn generate(server: &MockServer, body: &Value) -> Answer {
    Answer::of(
        with_key(
            server,
            Method::POST,
            "/v1beta/models/gemini-3.1-flash-image:generateContent",
        )
        .json(body)
        .send()
        .await
        .unwrap(),
    )
    .await
}

fn image_of(answer: &Answer) -> Vec<u8> {
    let data = answer.json()["candidates"][0]["content"]["parts"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|p| p["inlineData"]["data"].as_str().map(str::to_string))
        .expect("an image");
    gemini_image_types::Base64Bytes::decode(data.as_bytes())
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn an_uploaded_image_is_edited_exactly_as_the_same_bytes_inline() {
    let server = MockServer::start().await.unwrap();
    let source = png(64, 48);
    let file = upload(&server, &source, MIB8, "image/png").await;
    let id = id_of(&file);
    let by_uri = generate(
        &server,
        &edit_with(
            json!({"fileData": {"mimeType": "image/png", "fileUri": file["uri"]}}),
            "make it black and white",
        ),
    )
    .await;
    assert_eq!(by_uri.status, 200, "{}", by_uri.body);
    let grey = image_of(&by_uri);
    let close = |a: u8, b: u8| a.abs_diff(b) <= 12;
    let picture = image::load_from_memory(&grey).unwrap().to_rgb8();
    assert!(
        picture
            .pixels()
            .all(|p| close(p[0], p[1]) && close(p[1], p[2])),
        "grayscale output"
    );

    // `files/{id}`, the mock's own host, snake_case: the same picture as the bytes inline.
    let by_name = generate(
        &server,
        &edit_with(
            json!({"file_data": {"file_uri": format!("files/{id}")}}),
            "make it black and white",
        ),
    )
    .await;
    let other_host = generate(
        &server,
        &edit_with(
            json!({"fileData": {"fileUri": format!("{}/v1/files/{id}", server.uri())}}),
            "make it black and white",
        ),
    )
    .await;
    let data = gemini_image_types::Base64Bytes::new(source.clone()).encode();
    let inline = generate(
        &server,
        &edit_with(
            json!({"inlineData": {"mimeType": "image/png", "data": data}}),
            "make it black and white",
        ),
    )
    .await;
    assert_eq!(image_of(&by_name), grey);
    assert_eq!(image_of(&other_host), grey);
    assert_eq!(image_of(&inline), grey);

    // Streamed, the same file is read the same way.
    let streamed = Answer::of(
        with_key(
            &server,
            Method::POST,
            "/v1beta/models/gemini-3.1-flash-image:streamGenerateContent?alt=sse",
        )
        .json(&edit_with(
            json!({"fileData": {"fileUri": file["uri"]}}),
            "make it black and white",
        ))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(streamed.status, 200, "{}", streamed.body);
    assert!(streamed.body.contains("\"inlineData\""));

    // countTokens counts the file as the image it is.
    let counted = Answer::of(
        with_key(
            &server,
            Method::POST,
            "/v1beta/models/gemini-3.1-flash-image:countTokens",
        )
        .json(&json!({"contents": [{"parts": [{"fileData": {"fileUri": file["uri"]}}]}]}))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert_eq!(counted.status, 200, "{}", counted.body);
    assert_eq!(counted.json()["totalTokens"], 258);

    // Deleted, then named again: Google's 403 on every route that reads it.
    with_key(&server, Method::DELETE, &format!("/v1beta/files/{id}"))
        .send()
        .await
        .unwrap();
    let missing = generate(
        &server,
        &edit_with(json!({"fileData": {"fileUri": file["uri"]}}), "x"),
    )
    .await;
    assert_eq!(missing.status, 403);
    assert_eq!(missing.json(), forbidden(&id));
}

#[tokio::test]
async fn files_expire_after_48_hours_on_the_mock_clock() {
    let server = MockServer::start().await.unwrap();
    let file = upload(&server, &png(8, 8), MIB8, "image/png").await;
    let id = id_of(&file);
    assert_eq!(
        get(&server, "/v1beta/files/nosuchfile").await.json(),
        forbidden("nosuchfile")
    );
    advance(&server, "47h").await;
    assert_eq!(
        get(&server, &format!("/v1beta/files/{id}")).await.status,
        200
    );
    advance(&server, "2h").await;
    let expired = get(&server, &format!("/v1beta/files/{id}")).await;
    assert_eq!(expired.status, 403);
    assert_eq!(expired.json(), forbidden(&id));
    assert_eq!(get(&server, "/v1beta/files").await.body, "{}\n");
    let used = generate(
        &server,
        &edit_with(json!({"fileData": {"fileUri": file["uri"]}}), "x"),
    )
    .await;
    assert_eq!(used.json(), forbidden(&id));
}

#[tokio::test]
async fn a_processing_file_is_refused_until_it_is_active() {
    let server = MockServer::start_with(Config {
        file_processing: Duration::from_secs(30),
        ..Config::default()
    })
    .await
    .unwrap();
    let file = upload(&server, &png(8, 8), MIB8, "image/png").await;
    let id = id_of(&file);
    assert_eq!(file["state"], "PROCESSING");
    let early = generate(
        &server,
        &edit_with(json!({"fileData": {"fileUri": file["uri"]}}), "mirror it"),
    )
    .await;
    assert_eq!(early.status, 400);
    assert_eq!(
        early.json(),
        json!({"error": {
            "code": 400,
            "message": format!("The File {id} is not in an ACTIVE state and usage is not allowed."),
            "status": "FAILED_PRECONDITION",
        }})
    );
    advance(&server, "31s").await;
    let polled = get(&server, &format!("/v1beta/files/{id}")).await.json();
    assert_eq!(polled["state"], "ACTIVE");
    assert_ne!(polled["updateTime"], polled["createTime"]);
    let later = generate(
        &server,
        &edit_with(json!({"fileData": {"fileUri": file["uri"]}}), "mirror it"),
    )
    .await;
    assert_eq!(later.status, 200, "{}", later.body);
}

#[tokio::test]
async fn a_chunk_answered_without_status_is_not_kept_and_the_same_chunk_succeeds() {
    let server = MockServer::start().await.unwrap();
    let bytes = pattern_bytes(1000);
    let started = start(&server, "v1beta", bytes.len(), "text/plain", json!({})).await;
    let path = upload_path(&started);
    let response = reqwest::Client::new()
        .post(format!("{}{path}", server.uri()))
        .header("X-Goog-Upload-Command", "upload, finalize")
        .header("X-Goog-Upload-Offset", "0")
        .header("x-mock-scenario", "upload_status_missing")
        .body(bytes.clone())
        .send()
        .await
        .unwrap();
    let missing = Answer::of(response).await;
    assert_eq!(missing.status, 200);
    assert!(missing.header("x-goog-upload-status").is_none());
    assert_eq!(
        query(&server, &path)
            .await
            .header("x-goog-upload-size-received"),
        Some("0")
    );
    let retried = send_chunk(&server, &path, "upload, finalize", 0, bytes.clone()).await;
    assert_eq!(retried.header("x-goog-upload-status"), Some("final"));
    assert_eq!(retried.json()["file"]["sha256Hash"], sha256_hash(&bytes));
    assert_eq!(
        server.received_requests()[1].scenarios,
        ["upload_status_missing"]
    );
}

#[tokio::test]
async fn a_cut_chunk_leaves_nothing_and_the_client_resumes_from_the_offset() {
    let server = MockServer::start().await.unwrap();
    let bytes = pattern_bytes(MIB8 + 5);
    let started = start(&server, "v1beta", bytes.len(), "text/plain", json!({})).await;
    let path = upload_path(&started);
    let first = send_chunk(&server, &path, "upload", 0, bytes[..MIB8].to_vec()).await;
    assert_eq!(first.status, 200);
    // Queued: the next upload chunk is cut; a model call in between does not take it.
    let queued = reqwest::Client::new()
        .post(format!("{}/__mock/scenarios", server.uri()))
        .body(r#"{"scenario": "upload_cut"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), 201);
    let text = generate(
        &server,
        &json!({"contents": [{"parts": [{"text": "a cat"}]}]}),
    )
    .await;
    assert_eq!(text.status, 200);
    let cut = reqwest::Client::new()
        .post(format!("{}{path}", server.uri()))
        .header("X-Goog-Upload-Command", "upload, finalize")
        .header("X-Goog-Upload-Offset", MIB8.to_string())
        .body(bytes[MIB8..].to_vec())
        .send()
        .await;
    let failed = match cut {
        Err(_) => true,
        Ok(response) => response.bytes().await.is_err(),
    };
    assert!(failed, "the connection was not cut");
    let asked = query(&server, &path).await;
    assert_eq!(asked.header("x-goog-upload-size-received"), Some("8388608"));
    let done = send_chunk(
        &server,
        &path,
        "upload, finalize",
        MIB8,
        bytes[MIB8..].to_vec(),
    )
    .await;
    assert_eq!(done.json()["file"]["sha256Hash"], sha256_hash(&bytes));
}

/// `POST /__mock/files`: a generated JSONL file named `name`, as the API makes batch results.
async fn put_generated(server: &MockServer, name: &str, body: Vec<u8>) {
    let made = reqwest::Client::new()
        .post(format!(
            "{}/__mock/files?name={name}&mimeType=application/jsonl",
            server.uri()
        ))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
}

#[tokio::test]
async fn generated_files_download_on_both_paths_and_uploaded_ones_do_not() {
    let server = MockServer::start().await.unwrap();
    let lines = b"{\"response\":{},\"key\":\"request_1\"}\n".to_vec();
    put_generated(&server, "batch-abc123", lines.clone()).await;
    let file = get(&server, "/v1beta/files/batch-abc123").await.json();
    assert_eq!(file["source"], "GENERATED");
    assert_eq!(
        file["downloadUri"],
        "https://generativelanguage.googleapis.com/v1beta/files/batch-abc123:download?alt=media"
    );
    for path in [
        "/v1/files/batch-abc123:download?alt=media",
        "/download/v1beta/files/batch-abc123:download?alt=media",
    ] {
        let response = with_key(&server, Method::GET, path).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["content-type"], "application/jsonl");
        assert_eq!(response.bytes().await.unwrap().to_vec(), lines, "{path}");
    }
    let without_alt = get(&server, "/v1beta/files/batch-abc123:download").await;
    assert_eq!(without_alt.status, 400);
    let uploaded = id_of(&upload(&server, b"abc", MIB8, "text/plain").await);
    let refused = get(
        &server,
        &format!("/v1beta/files/{uploaded}:download?alt=media"),
    )
    .await;
    assert_eq!(refused.status, 400);
    assert_eq!(refused.json()["error"]["status"], "FAILED_PRECONDITION");
    assert_eq!(
        get(&server, "/v1beta/files/nothing:download?alt=media")
            .await
            .json(),
        forbidden("nothing")
    );
}

#[tokio::test]
async fn the_store_is_bounded_in_bytes() {
    let server = MockServer::start_with(Config {
        files_bytes: 100,
        ..Config::default()
    })
    .await
    .unwrap();
    let too_big = start(&server, "v1beta", 101, "text/plain", json!({})).await;
    assert_eq!(too_big.status, 429, "{}", too_big.body);
    assert_eq!(too_big.json()["error"]["status"], "RESOURCE_EXHAUSTED");
    upload(&server, &[7; 60], MIB8, "text/plain").await;
    // No size announced: the chunk that does not fit is refused as it arrives.
    let unsized_start = with_key(&server, Method::POST, "/upload/v1beta/files")
        .header("X-Goog-Upload-Protocol", "resumable")
        .header("X-Goog-Upload-Command", "start")
        .body("{}")
        .send()
        .await
        .unwrap();
    let path = upload_path(&Answer::of(unsized_start).await);
    let refused = send_chunk(&server, &path, "upload, finalize", 0, vec![1; 50]).await;
    assert_eq!(refused.status, 429);
    assert_eq!(refused.header("x-goog-upload-status"), Some("active"));
    let fits = send_chunk(&server, &path, "upload, finalize", 0, vec![1; 40]).await;
    assert_eq!(fits.json()["file"]["sizeBytes"], "40");
}

mod chunkings {
    use std::sync::LazyLock;

    use proptest::prelude::*;

    use super::*;

    /// A small granularity so that many chunkings fit in a few kilobytes.
    const GRANULARITY: usize = 256;

    struct Harness {
        runtime: tokio::runtime::Runtime,
        server: MockServer,
    }

    static HARNESS: LazyLock<Harness> = LazyLock::new(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime");
        let server = runtime
            .block_on(MockServer::start_with(Config {
                upload_chunk_granularity: GRANULARITY as u64,
                ..Config::default()
            }))
            .expect("the mock starts");
        Harness { runtime, server }
    });

    proptest! {
        #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, rng_seed: proptest::test_runner::RngSeed::Fixed(7), ..ProptestConfig::default() })]

        #[test]
        fn any_chunking_on_the_granularity_gives_the_same_file(
            size in 0usize..3000,
            multiples in prop::collection::vec(1usize..4, 1..8),
        ) {
            let harness = &*HARNESS;
            let bytes = pattern_bytes(size);
            let file = harness.runtime.block_on(async {
                let server = &harness.server;
                let started = start(server, "v1beta", size, "text/plain", json!({})).await;
                let path = upload_path(&started);
                let mut offset = 0;
                let mut plan = multiples.iter().cycle();
                loop {
                    let step = plan.next().copied().unwrap_or(1) * GRANULARITY;
                    let last = offset + step >= size;
                    let end = if last { size } else { offset + step };
                    let command = if last { "upload, finalize" } else { "upload" };
                    let answer = send_chunk(server, &path, command, offset, bytes[offset..end].to_vec()).await;
                    if last {
                        return answer.json()["file"].clone();
                    }
                    assert_eq!(answer.status, 200, "{}", answer.body);
                    offset = end;
                }
            });
            prop_assert_eq!(&file["sizeBytes"], &json!(size.to_string()));
            prop_assert_eq!(&file["sha256Hash"], &json!(sha256_hash(&bytes)));
        }
    }
}

#[tokio::test]
async fn a_chunk_past_the_announced_size_is_refused_before_it_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let server = MockServer::start().await.unwrap();
    let started = start(&server, "v1beta", 100 * 1024 * 1024, "video/mp4", json!({})).await;
    let path = upload_path(&started);
    // Headers only: a chunk declaring 150 MiB is answered without a byte of it being sent.
    let mut stream = tokio::net::TcpStream::connect(server.address())
        .await
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nX-Goog-Upload-Command: upload, finalize\r\n\
         X-Goog-Upload-Offset: 0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        server.address(),
        150 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains("x-goog-upload-status: active"), "{answer}");
    assert!(
        answer.contains("The client sent 157286400 bytes in all, but announced 104857600"),
        "{answer}"
    );
}

#[tokio::test]
async fn the_docs_curl_upload_sends_a_large_file_as_one_chunk() {
    // Google's docs upload with one `upload, finalize` of the whole file; 100 MiB is past any
    // buffer a server would hold per request.
    let server = MockServer::start().await.unwrap();
    let bytes = pattern_bytes(100 * 1024 * 1024 + 1);
    let file = upload(&server, &bytes, bytes.len(), "video/mp4").await;
    assert_eq!(file["sizeBytes"], bytes.len().to_string());
    assert_eq!(file["sha256Hash"], sha256_hash(&bytes));
}

#[tokio::test]
async fn of_two_chunks_racing_for_one_offset_exactly_one_is_kept() {
    let server = MockServer::start().await.unwrap();
    let bytes = pattern_bytes(2 * MIB8);
    let started = start(&server, "v1beta", bytes.len(), "text/plain", json!({})).await;
    let path = upload_path(&started);
    let (a, b) = tokio::join!(
        send_chunk(&server, &path, "upload", 0, bytes[..MIB8].to_vec()),
        send_chunk(&server, &path, "upload", 0, bytes[..MIB8].to_vec()),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 400], "{} / {}", a.body, b.body);
    let done = send_chunk(
        &server,
        &path,
        "upload, finalize",
        MIB8,
        bytes[MIB8..].to_vec(),
    )
    .await;
    assert_eq!(done.json()["file"]["sha256Hash"], sha256_hash(&bytes));
    let admin: Value = reqwest::get(format!("{}/__mock/files", server.uri()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(admin["bytes"], 2 * MIB8);
}

#[tokio::test]
async fn with_a_data_directory_files_survive_a_restart_and_stay_out_of_memory() {
    let dir = std::env::temp_dir().join(format!("gemini-mock-restart-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = || Config {
        data_dir: Some(gemini_image_mock::DataDir::open(&dir).expect("the directory")),
        ..Config::default()
    };
    let server = MockServer::start_with(config()).await.unwrap();
    let source = png(64, 48);
    let uploaded = upload(&server, &source, MIB8, "image/png").await;
    // A generated file larger than a piece of the admin API's streaming, at an odd size.
    let lines = pattern_bytes(20 * 1024 * 1024 + 3);
    put_generated(&server, "batch-kept", lines.clone()).await;
    let held: Value = reqwest::get(format!("{}/__mock/files", server.uri()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(held["bytes"], (source.len() + lines.len()) as u64);
    assert_eq!(held["memoryBytes"], 0);
    let edit = edit_with(
        json!({"fileData": {"mimeType": "image/png", "fileUri": uploaded["uri"]}}),
        "make it black and white",
    );
    let before = image_of(&generate(&server, &edit).await);
    assert!(
        gemini_image_mock::DataDir::open(&dir).is_err(),
        "a second mock must not share the directory"
    );
    server.stop().await;

    let server = MockServer::start_with(config()).await.unwrap();
    let again = get(
        &server,
        &format!("/v1beta/{}", uploaded["name"].as_str().unwrap()),
    )
    .await;
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(again.json(), uploaded);
    let download = with_key(
        &server,
        Method::GET,
        "/v1beta/files/batch-kept:download?alt=media",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(download.status(), 200);
    assert_eq!(download.bytes().await.unwrap().to_vec(), lines);
    assert_eq!(image_of(&generate(&server, &edit).await), before);
    // A reset deletes what the directory keeps.
    server.reset();
    server.stop().await;
    let server = MockServer::start_with(config()).await.unwrap();
    assert_eq!(
        get(&server, "/v1beta/files/batch-kept").await.json(),
        forbidden("batch-kept")
    );
    server.stop().await;
    std::fs::remove_dir_all(&dir).unwrap();
}
