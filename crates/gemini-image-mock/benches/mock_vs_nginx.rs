//! Cached small answers: the mock's requests per second beside nginx's on the identical bytes,
//! at concurrency 1 and 16, measured by wrk in one run.
//!
//! The mock is the release `gemini-image-mock` program (its own runtime, as users run it),
//! nginx is Debian's, both on 127.0.0.1 with logging off (`RUST_LOG=warn`, `access_log off`).
//! The mock's answers are fetched once (which renders and caches them); nginx serves those
//! very bytes, with the same content type, to the same POST: nginx's static module refuses a
//! POST (405), so `error_page 405 =200 $uri` serves the file anyway (an internal redirect, with
//! `open_file_cache` so that the file is not opened per request). `return 200 "…"` would be
//! lighter still but cannot hold an answer over nginx's 4 KB token limit.
//!
//! Two answers: a text answer (`gemini-3.5-flash`, about 1 KB) and an image answer (a 12 KB
//! canned image, about 17 KB of JSON). `cargo bench` measures 4 s per case and writes
//! `target/criterion/mock_vs_nginx.json` for `cargo xtask bench`; `cargo test --benches` (CI)
//! runs 1 s per case and writes nothing. When nginx or wrk is missing it installs them with
//! apt-get (Debian's `nginx-light` and `wrk`); when that fails the file says why and the bench
//! still passes.
//!
//! `cargo bench -p gemini-image-mock --bench mock_vs_nginx`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

const TEXT_PATH: &str = "/v1beta/models/gemini-3.5-flash:generateContent";
const TEXT_REQUEST: &str = r#"{"contents":[{"role":"user","parts":[{"text":"Say hello"}]}]}"#;
const IMAGE_PATH: &str = "/v1beta/models/gemini-3.1-flash-image:generateContent";
const IMAGE_REQUEST: &str = r#"{"contents":[{"role":"user","parts":[{"text":"Draw a nano banana dish in a fancy restaurant"}]}],"generationConfig":{"responseModalities":["TEXT","IMAGE"]}}"#;
/// The canned image behind the image answer.
const IMAGE_BYTES: usize = 12_000;
/// The concurrencies measured, with wrk's threads for each.
const CONCURRENCY: [(u32, u32); 2] = [(1, 1), (16, 2)];

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` does not.
    let full = std::env::args().any(|a| a == "--bench");
    let seconds = if full { 4 } else { 1 };
    let work = target_dir().join("mock-vs-nginx");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("the work directory");
    let result = match tools() {
        Err(reason) => {
            println!("mock_vs_nginx: not measured: {reason}");
            json!({ "skipped": reason })
        }
        Ok(versions) => measure(&work, seconds, versions),
    };
    if full {
        let out = target_dir().join("criterion/mock_vs_nginx.json");
        std::fs::create_dir_all(target_dir().join("criterion")).expect("target/criterion");
        let text = serde_json::to_string_pretty(&result).expect("JSON");
        std::fs::write(&out, text).expect("the results written");
    }
    let _ = std::fs::remove_dir_all(&work);
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"))
}

/// nginx and wrk, installed from Debian when missing: their versions, or why they are not here.
fn tools() -> Result<Value, String> {
    if !(has("nginx", "-v") && has("wrk", "--version")) {
        println!("mock_vs_nginx: installing nginx-light and wrk with apt-get");
        let install = || {
            Command::new("apt-get")
                .args([
                    "install",
                    "-y",
                    "--no-install-recommends",
                    "nginx-light",
                    "wrk",
                ])
                .env("DEBIAN_FRONTEND", "noninteractive")
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        // A fresh machine's package lists may be empty or stale.
        let updated = || {
            Command::new("apt-get")
                .arg("update")
                .stdout(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        let installed = install() || (updated() && install());
        if !installed {
            return Err("nginx-light and wrk could not be installed with apt-get".into());
        }
        if !(has("nginx", "-v") && has("wrk", "--version")) {
            return Err("nginx or wrk is not on PATH after apt-get install".into());
        }
    }
    Ok(json!({ "nginx": version("nginx", "-v"), "wrk": version("wrk", "--version") }))
}

fn has(program: &str, flag: &str) -> bool {
    Command::new(program)
        .arg(flag)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

/// The first line a program prints about its version (nginx writes it to stderr).
fn version(program: &str, flag: &str) -> String {
    Command::new(program)
        .arg(flag)
        .output()
        .map(|o| {
            let text = [o.stdout, o.stderr].concat();
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or_default()
                .trim()
                .to_string()
        })
        .unwrap_or_default()
}

fn measure(work: &Path, seconds: u32, versions: Value) -> Value {
    let images = work.join("images");
    std::fs::create_dir_all(&images).expect("the image directory");
    std::fs::write(images.join("small.png"), image_of(IMAGE_BYTES)).expect("the image");
    let mock = Server::mock(&images);
    let answers = [
        ("text", TEXT_PATH, TEXT_REQUEST),
        ("image", IMAGE_PATH, IMAGE_REQUEST),
    ]
    .map(|(name, path, request)| {
        // The first request renders and caches the answer; the second is what is measured.
        post(mock.port, path, request);
        (name, path, request, post(mock.port, path, request))
    });
    let root = work.join("nginx");
    std::fs::create_dir_all(&root).expect("nginx's directory");
    for (name, _, _, (_, body)) in &answers {
        std::fs::write(root.join(name), body).expect("an answer for nginx");
    }
    let nginx = Server::nginx(&root, &answers[0].3.0);
    let mut cases = serde_json::Map::new();
    for (name, path, request, (content_type, body)) in &answers {
        assert_eq!(
            post(nginx.port, &format!("/{name}"), request),
            (content_type.clone(), body.clone()),
            "nginx serves the mock's {name} answer as it is"
        );
        let script = work.join(format!("{name}.lua"));
        std::fs::write(&script, wrk_script(request)).expect("the wrk script");
        let mut case = serde_json::Map::new();
        case.insert("bytes".into(), body.len().into());
        for (connections, threads) in CONCURRENCY {
            let run =
                |port: u16, path: &str| wrk(&script, port, path, connections, threads, seconds);
            let mock_rps = run(mock.port, path);
            let nginx_rps = run(nginx.port, &format!("/{name}"));
            println!(
                "mock_vs_nginx: {name} ({} bytes), c={connections}: mock {mock_rps:.0} req/s, \
                 nginx {nginx_rps:.0} req/s: {:.2}× nginx",
                body.len(),
                mock_rps / nginx_rps
            );
            case.insert(
                format!("c{connections}"),
                json!({ "mock": mock_rps, "nginx": nginx_rps }),
            );
        }
        cases.insert((*name).into(), case.into());
    }
    json!({ "versions": versions, "seconds": seconds, "cases": cases })
}

/// `len` random bytes behind a PNG signature (what `--images` needs to serve them).
fn image_of(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.extend((bytes.len()..len).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 24) as u8
    }));
    bytes
}

/// A server process on 127.0.0.1, stopped when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn mock(images: &Path) -> Self {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_gemini-image-mock"))
            .arg("--addr")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--images")
            .arg(images)
            // One log line per request would be the log's cost, not the server's (nginx runs
            // with `access_log off`).
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("gemini-image-mock");
        Self::ready(child, port)
    }

    fn nginx(root: &Path, content_type: &str) -> Self {
        let port = free_port();
        let root = root.display();
        let config = format!(
            "daemon off;\n\
             worker_processes auto;\n\
             pid {root}/nginx.pid;\n\
             error_log {root}/error.log warn;\n\
             events {{ worker_connections 1024; }}\n\
             http {{\n\
               access_log off;\n\
               client_body_temp_path {root}/body;\n\
               proxy_temp_path {root}/proxy;\n\
               fastcgi_temp_path {root}/fastcgi;\n\
               uwsgi_temp_path {root}/uwsgi;\n\
               scgi_temp_path {root}/scgi;\n\
               types {{ }}\n\
               default_type \"{content_type}\";\n\
               sendfile on;\n\
               tcp_nopush on;\n\
               tcp_nodelay on;\n\
               keepalive_requests 1000000;\n\
               open_file_cache max=16;\n\
               server {{\n\
                 listen 127.0.0.1:{port};\n\
                 root {root};\n\
                 location / {{ error_page 405 =200 $uri; }}\n\
               }}\n\
             }}\n"
        );
        let path = format!("{root}/nginx.conf");
        std::fs::write(&path, config).expect("nginx.conf");
        let child = Command::new("nginx")
            .args(["-p", &root.to_string(), "-c", &path])
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx");
        Self::ready(child, port)
    }

    /// Waits until the server accepts connections (10 s at most).
    fn ready(mut child: Child, port: u16) -> Self {
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the server on port {port} exited: {status}");
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "no server on port {port} after 10 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Self { child, port }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // SIGTERM: nginx's master stops its workers; the mock stops gracefully.
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// One POST over its own connection: the answer's content type and body (200 only).
fn post(port: u16, path: &str, body: &str) -> (String, Vec<u8>) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("a connection");
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-goog-api-key: bench\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("the request");
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).expect("the status line");
    assert!(status.starts_with("HTTP/1.1 200"), "{path}: {status}");
    let (mut content_type, mut length) = (String::new(), None);
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).expect("a header");
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').expect("a header line");
        match name.to_ascii_lowercase().as_str() {
            "content-type" => content_type = value.trim().to_string(),
            "content-length" => length = value.trim().parse::<usize>().ok(),
            _ => {}
        }
    }
    let length = length.expect("a Content-Length");
    let mut body = vec![0; length];
    reader.read_exact(&mut body).expect("the body");
    (content_type, body)
}

/// The request wrk sends: the same POST the SDK would.
fn wrk_script(request: &str) -> String {
    format!(
        "wrk.method = \"POST\"\n\
         wrk.headers[\"Content-Type\"] = \"application/json\"\n\
         wrk.headers[\"x-goog-api-key\"] = \"bench\"\n\
         wrk.body = [==[{request}]==]\n"
    )
}

/// Requests per second wrk measured; every answer must have been a 200.
fn wrk(script: &Path, port: u16, path: &str, connections: u32, threads: u32, seconds: u32) -> f64 {
    let output = Command::new("wrk")
        .arg(format!("-t{threads}"))
        .arg(format!("-c{connections}"))
        .arg(format!("-d{seconds}s"))
        .arg("-s")
        .arg(script)
        .arg(format!("http://127.0.0.1:{port}{path}"))
        .output()
        .expect("wrk");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "wrk failed: {text}");
    assert!(
        !text.contains("Non-2xx") && !text.contains("Socket errors"),
        "{path}: not every answer was a 200:\n{text}"
    );
    text.lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no Requests/sec in wrk's output:\n{text}"))
}
