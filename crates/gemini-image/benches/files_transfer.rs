//! A 1 GB file through the Files API, our SDK beside `curl` in the same run, against one mock
//! (with `--data-dir`, in a process of its own):
//!
//! * `files_upload/curl` — the docs' upload: a start, then `curl --data-binary @file` with
//!   `upload, finalize` (curl reads the file into memory first: its limit is 1 GiB, hence a
//!   file of 1 GB); `files_upload/curl_upload_file` — the same with `curl -T file`, which
//!   streams it; `files_upload/gemini_image` — `client.files().upload(path, …)` (8 MiB chunks,
//!   streamed from disk);
//! * `files_download/curl` — `curl -o /dev/null` of a generated file;
//!   `files_download/gemini_image` — `client.files().download(name, sink)`.
//!
//! Peak memory is measured beside the times: the peak RSS (`VmHWM`, reset through
//! `/proc/PID/clear_refs` before each group) of this process while only the SDK runs in it, and
//! of the mock's process over each group. They are written to
//! `target/criterion/files_transfer_rss.json` for `cargo xtask bench`.
//!
//! `cargo bench -p gemini-image --bench files_transfer` (Linux: it reads `/proc`; it needs
//! `curl` and 2 GiB of free disk under `target/`).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode, Throughput};
use gemini_image::{Client, UploadOptions};

mod fixtures;
use fixtures::target_dir;

/// The file's size under `cargo bench`: 1 GB.
const BENCH_SIZE: u64 = 1_000_000_000;
/// The file's size under `cargo test --benches`, which runs every case once to prove it works.
const TEST_SIZE: u64 = 16 * 1024 * 1024 + 5;
/// Set in the environment of the copy of this program that serves as the mock.
const SERVE_DIR: &str = "FILES_BENCH_MOCK_DATA_DIR";
const KEY: &str = "files-bench-key";
const DOWNLOAD_NAME: &str = "bench-download";

fn main() {
    if let Ok(dir) = std::env::var(SERVE_DIR) {
        serve_mock(Path::new(&dir));
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not (criterion's own test).
    let size = if std::env::args().any(|a| a == "--bench") {
        BENCH_SIZE
    } else {
        TEST_SIZE
    };
    let work = target_dir().join("files-bench");
    let source = work.join(format!("source-{size}.bin"));
    write_source(&source, size);
    let mock = Mock::start(&work.join("mock-data"));
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let client = Client::builder()
        .api_key(KEY)
        .base_url(&mock.url)
        .build()
        .expect("a client");
    let mut criterion = Criterion::default().configure_from_args();
    let mut peaks = serde_json::Map::new();

    let mut group = criterion.benchmark_group("files_upload");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(20))
        .throughput(Throughput::Bytes(size));
    for (case, how) in [("curl", "--data-binary"), ("curl_upload_file", "-T")] {
        group.bench_function(case, |b| {
            b.iter_custom(|iterations| {
                let mut spent = Duration::ZERO;
                for _ in 0..iterations {
                    let started = Instant::now();
                    let name = curl_upload(&mock.url, &source, size, how);
                    spent += started.elapsed();
                    runtime.block_on(delete(&client, &name));
                }
                spent
            });
        });
    }
    reset_peak("self");
    mock.reset_peak();
    group.bench_function("gemini_image", |b| {
        b.iter_custom(|iterations| {
            let mut spent = Duration::ZERO;
            for _ in 0..iterations {
                let started = Instant::now();
                let file = runtime
                    .block_on(client.files().upload(
                        source.as_path(),
                        UploadOptions::new().mime_type("application/octet-stream"),
                    ))
                    .expect("the upload");
                spent += started.elapsed();
                let name = file.name.unwrap_or_default();
                runtime.block_on(delete(&client, &name));
            }
            spent
        });
    });
    peaks.insert("upload_sdk_kib".into(), peak("self").into());
    peaks.insert("upload_mock_kib".into(), mock.peak().into());
    group.finish();

    runtime.block_on(make_generated(&mock.url, &source));
    let mut group = criterion.benchmark_group("files_download");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(1))
        .measurement_time(Duration::from_secs(10))
        .throughput(Throughput::Bytes(size));
    group.bench_function("curl", |b| {
        b.iter(|| curl_download(&mock.url));
    });
    reset_peak("self");
    mock.reset_peak();
    group.bench_function("gemini_image", |b| {
        b.iter(|| {
            let got = runtime
                .block_on(client.files().download(DOWNLOAD_NAME, tokio::io::sink()))
                .expect("the download");
            assert_eq!(got, size);
        });
    });
    peaks.insert("download_sdk_kib".into(), peak("self").into());
    peaks.insert("download_mock_kib".into(), mock.peak().into());
    group.finish();
    criterion.final_summary();

    if size == BENCH_SIZE {
        let out = target_dir().join("criterion/files_transfer_rss.json");
        let text = serde_json::to_string_pretty(&peaks).expect("JSON");
        std::fs::create_dir_all(target_dir().join("criterion")).expect("target/criterion");
        std::fs::write(&out, text).expect("the peaks written");
    }
    println!("peak RSS (KiB): {}", serde_json::Value::Object(peaks));
}

/// `size` varied bytes, written once and kept for later runs.
fn write_source(path: &Path, size: u64) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() == size) {
        return;
    }
    std::fs::create_dir_all(path.parent().expect("a directory")).expect("the work directory");
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("the source file"));
    let mut block = vec![0u8; 8 << 20];
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut left = size;
    while left > 0 {
        for byte in block.iter_mut() {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *byte = (state >> 24) as u8;
        }
        let now = block.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        file.write_all(&block[..now]).expect("the source file");
        left -= now as u64;
    }
    file.flush().expect("the source file");
}

/// The mock, as a process of its own: this program again, serving until its stdin closes.
struct Mock {
    child: Child,
    url: String,
}

impl Mock {
    fn start(data_dir: &Path) -> Self {
        let _ = std::fs::remove_dir_all(data_dir);
        let mut child = Command::new(std::env::current_exe().expect("this program"))
            .env(SERVE_DIR, data_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("the mock");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut line)
            .expect("its address");
        Self {
            url: line.trim().to_string(),
            child,
        }
    }

    fn reset_peak(&self) {
        reset_peak(&self.child.id().to_string());
    }

    fn peak(&self) -> u64 {
        peak(&self.child.id().to_string())
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        // Closing stdin stops it.
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn serve_mock(data_dir: &Path) {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let config = gemini_image_mock::Config {
            data_dir: Some(gemini_image_mock::DataDir::open(data_dir).expect("the data dir")),
            journal_entries: 100,
            ..gemini_image_mock::Config::default()
        };
        let server = gemini_image_mock::MockServer::start_with(config)
            .await
            .expect("a port");
        println!("{}", server.uri());
        let _ = std::io::stdout().flush();
        // Until the parent closes stdin.
        let _ = tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            let _ = std::io::stdin().read_line(&mut sink);
        })
        .await;
        server.stop().await;
    });
}

/// Resets a process's peak RSS (`VmHWM`).
fn reset_peak(pid: &str) {
    let _ = std::fs::write(format!("/proc/{pid}/clear_refs"), "5");
}

/// A process's peak RSS in KiB since the last reset.
fn peak(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn curl(args: &[&str]) -> String {
    let output = Command::new("curl")
        .args(["-sS", "--fail-with-body"])
        .args(args)
        .output()
        .expect("curl");
    assert!(
        output.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The docs' upload with curl: a start, then the whole file with `upload, finalize`, sent with
/// `how` (`--data-binary` or `-T`). The name of the file made.
fn curl_upload(base: &str, source: &Path, size: u64, how: &str) -> String {
    let head = curl(&[
        "-D",
        "-",
        "-o",
        "/dev/null",
        "-X",
        "POST",
        &format!("{base}/upload/v1beta/files"),
        "-H",
        &format!("x-goog-api-key: {KEY}"),
        "-H",
        "X-Goog-Upload-Protocol: resumable",
        "-H",
        "X-Goog-Upload-Command: start",
        "-H",
        &format!("X-Goog-Upload-Header-Content-Length: {size}"),
        "-H",
        "X-Goog-Upload-Header-Content-Type: application/octet-stream",
        "-H",
        "Content-Type: application/json",
        "-d",
        "{\"file\": {}}",
    ]);
    let url = head
        .lines()
        .find_map(|l| {
            l.split_once(':')
                .filter(|(name, _)| name.eq_ignore_ascii_case("x-goog-upload-url"))
                .map(|(_, value)| value.trim().to_string())
        })
        .expect("an upload URL");
    let answer = curl(&[
        &url,
        "-H",
        "X-Goog-Upload-Offset: 0",
        "-H",
        "X-Goog-Upload-Command: upload, finalize",
        "-X",
        "POST",
        how,
        &if how == "-T" {
            source.display().to_string()
        } else {
            format!("@{}", source.display())
        },
    ]);
    let file: serde_json::Value = serde_json::from_str(&answer).expect("the file");
    file["file"]["name"].as_str().expect("a name").to_string()
}

fn curl_download(base: &str) {
    curl(&[
        "-o",
        "/dev/null",
        &format!("{base}/v1beta/files/{DOWNLOAD_NAME}:download?alt=media"),
        "-H",
        &format!("x-goog-api-key: {KEY}"),
    ]);
}

async fn delete(client: &Client, name: &str) {
    client.files().delete(name).await.expect("the delete");
}

/// The generated file downloads read, streamed to the mock's admin API from the source file.
async fn make_generated(base: &str, source: &Path) {
    let file = tokio::fs::File::open(source).await.expect("the source");
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
    let answer = reqwest::Client::new()
        .post(format!(
            "{base}/__mock/files?name={DOWNLOAD_NAME}&mimeType=application/octet-stream"
        ))
        .body(body)
        .send()
        .await
        .expect("the admin API");
    assert_eq!(answer.status(), 201, "{:?}", answer.text().await);
}
