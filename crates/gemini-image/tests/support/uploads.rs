//! A hand-written server of Google's resumable upload protocol, for the faults the mock does
//! not make: a chunk cut after a chosen number of bytes (kept), a granularity refusal, an upload
//! URL on another host (which the client must rebase onto its base URL).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What to do to the next chunk.
#[derive(Clone, Debug)]
pub enum Fault {
    /// Keep this many bytes of the chunk, then close the connection without an answer.
    CutAfter(usize),
    /// Keep the chunk, answer 200 without `x-goog-upload-status`.
    NoStatus,
    /// Keep nothing, answer 503 (with the status header).
    Unavailable,
    /// Answer Google's plain-text 400 of a chunk off the granularity.
    OffGranularity,
}

/// One request the server saw.
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub path: String,
    pub command: String,
    pub offset: Option<u64>,
    pub len: usize,
    pub api_key: Option<String>,
    pub headers: Vec<(String, String)>,
}

#[derive(Default)]
pub struct State {
    pub received: Vec<u8>,
    /// Bytes received (kept in `received` unless the server discards them).
    pub len: usize,
    pub discard: bool,
    pub faults: VecDeque<Fault>,
    pub seen: Vec<Seen>,
    pub mime_type: String,
}

pub struct UploadServer {
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

const GRANULARITY: usize = 8 * 1024 * 1024;

impl State {
    fn keep(&mut self, bytes: &[u8]) {
        self.len += bytes.len();
        if !self.discard {
            self.received.extend_from_slice(bytes);
        }
    }
}

impl UploadServer {
    /// A server that counts the bytes it receives but keeps none (for memory measurements).
    pub async fn discarding() -> Self {
        let server = Self::start([]).await;
        server.state.lock().unwrap().discard = true;
        server
    }

    pub async fn start(faults: impl IntoIterator<Item = Fault>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(State {
            faults: faults.into_iter().collect(),
            ..State::default()
        }));
        let shared = state.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let state = shared.clone();
                tokio::spawn(serve(socket, state));
            }
        });
        UploadServer {
            url: format!("http://{address}"),
            state,
        }
    }

    pub fn received(&self) -> Vec<u8> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    /// The commands, in order, with their offsets: `("upload", Some(0))` …
    pub fn commands(&self) -> Vec<(String, Option<u64>)> {
        self.seen()
            .into_iter()
            .map(|s| (s.command, s.offset))
            .collect()
    }
}

async fn serve(mut socket: TcpStream, state: Arc<Mutex<State>>) {
    let Some((head, body)) = read_request(&mut socket).await else {
        return;
    };
    let mut lines = head.lines();
    let path = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .unwrap_or("")
        .to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let command = header("x-goog-upload-command").unwrap_or_default();
    let offset = header("x-goog-upload-offset").and_then(|o| o.parse().ok());
    let answer = |status: &str, extra: &[(&str, String)], body: &str| {
        let mut head = format!("HTTP/1.1 {status}\r\nconnection: close\r\n");
        for (name, value) in extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
        head
    };
    let reply = {
        let mut state = state.lock().unwrap();
        state.seen.push(Seen {
            path: path.clone(),
            command: command.clone(),
            offset,
            len: body.len(),
            api_key: header("x-goog-api-key"),
            headers: headers.clone(),
        });
        let active = ("x-goog-upload-status", "active".to_string());
        match command.as_str() {
            "start" => {
                state.mime_type = header("x-goog-upload-header-content-type").unwrap_or_default();
                // Another host, as Google's own answer names: the client rebases it.
                let url = "https://uploads.example.invalid/upload/v1beta/files?upload_id=u1&upload_protocol=resumable";
                answer(
                    "200 OK",
                    &[
                        active,
                        ("x-goog-upload-url", url.into()),
                        ("x-goog-upload-control-url", url.into()),
                        ("x-goog-upload-chunk-granularity", GRANULARITY.to_string()),
                    ],
                    "",
                )
            }
            "query" => answer(
                "200 OK",
                &[
                    active,
                    ("x-goog-upload-size-received", state.len.to_string()),
                ],
                "",
            ),
            "upload" | "upload, finalize" => {
                let fault = state.faults.pop_front();
                if offset != Some(state.len as u64) {
                    answer(
                        "400 Bad Request",
                        &[active, ("content-type", "text/plain".into())],
                        "Invalid request.  The X-Goog-Upload-Offset does not match.",
                    )
                } else {
                    match fault {
                        Some(Fault::CutAfter(n)) => {
                            let kept = n.min(body.len());
                            state.keep(&body[..kept]);
                            String::new()
                        }
                        Some(Fault::Unavailable) => answer(
                            "503 Service Unavailable",
                            &[active, ("content-type", "application/json".into())],
                            r#"{"error": {"code": 503, "message": "busy", "status": "UNAVAILABLE"}}"#,
                        ),
                        Some(Fault::OffGranularity) => answer(
                            "400 Bad Request",
                            &[active, ("content-type", "text/plain; charset=utf-8".into())],
                            "The client sent 821333 bytes, which is not a multiple of the 8388608 byte chunk granularity.",
                        ),
                        Some(Fault::NoStatus) => {
                            state.keep(&body);
                            answer("200 OK", &[], "")
                        }
                        None => {
                            let finalize = command.contains("finalize");
                            if !finalize && body.len() % GRANULARITY != 0 {
                                answer(
                                    "400 Bad Request",
                                    &[active, ("content-type", "text/plain".into())],
                                    &format!(
                                        "The client sent {} bytes, which is not a multiple of the 8388608 byte chunk granularity.",
                                        body.len()
                                    ),
                                )
                            } else {
                                state.keep(&body);
                                if finalize {
                                    let file = serde_json::json!({"file": {
                                        "name": "files/fake123",
                                        "mimeType": state.mime_type,
                                        "sizeBytes": state.len.to_string(),
                                        "uri": "https://generativelanguage.googleapis.com/v1beta/files/fake123",
                                        "state": "ACTIVE",
                                        "source": "UPLOADED"}});
                                    answer(
                                        "200 OK",
                                        &[
                                            ("x-goog-upload-status", "final".into()),
                                            ("content-type", "application/json".into()),
                                        ],
                                        &file.to_string(),
                                    )
                                } else {
                                    answer("200 OK", &[active], "")
                                }
                            }
                        }
                    }
                }
            }
            _ => answer("404 Not Found", &[], "unknown"),
        }
    };
    if !reply.is_empty() {
        let _ = socket.write_all(reply.as_bytes()).await;
    }
    let _ = socket.shutdown().await;
}

/// The head (lowercased names kept as sent) and a `content-length` body.
async fn read_request(socket: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut received = Vec::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = socket.read(&mut buffer).await.ok()?;
        if n == 0 {
            return None;
        }
        received.extend_from_slice(&buffer[..n]);
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..end]).to_string();
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .unwrap_or(0);
            while received.len() < end + 4 + length {
                let n = socket.read(&mut buffer).await.ok()?;
                if n == 0 {
                    return None;
                }
                received.extend_from_slice(&buffer[..n]);
            }
            let body = received[end + 4..end + 4 + length].to_vec();
            return Some((head, body));
        }
    }
}
