//! The soak's HTTP/1.1 client, on raw sockets: a load generator must also send half a head,
//! stop in the middle of a body and hang up in the middle of an answer, which no HTTP client
//! library lets one do. One request per connection (`connection: close`), so that each request
//! is measured alone; every read has a deadline, every answer a size bound.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The largest answer read: a 4K image's answer is some 8 MB of base64.
const MAX_ANSWER: usize = 64 * 1024 * 1024;
/// The largest head read.
const MAX_HEAD: usize = 64 * 1024;

/// An answer: its status, content type and body (chunked encoding undone).
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// A request to send: its head's first lines (without the blank line) and its body.
pub struct Request {
    pub method: &'static str,
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// A POST of `body` as JSON to `path`.
    pub fn post_json(path: String, body: Vec<u8>) -> Self {
        Self {
            method: "POST",
            path,
            headers: vec![("content-type", "application/json".into())],
            body,
        }
    }

    /// The head, with `content-length` (the body's length, unless `declared` says otherwise)
    /// and the key.
    pub fn head(&self, key: &str, declared: Option<usize>) -> Vec<u8> {
        let mut head = format!(
            "{} {} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\nx-goog-api-key: {key}\r\ncontent-length: {}\r\n",
            self.method,
            self.path,
            declared.unwrap_or(self.body.len())
        );
        for (name, value) in &self.headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        head.into_bytes()
    }
}

/// Sends `request` and reads the whole answer within `limit`.
pub async fn exchange(
    address: &str,
    key: &str,
    request: &Request,
    limit: Duration,
) -> Result<Answer, String> {
    timeout(limit, async {
        let mut socket = connect(address).await?;
        send(&mut socket, key, request).await?;
        read_answer(&mut socket).await
    })
    .await
    .map_err(|_| format!("no whole answer within {limit:?}"))?
}

/// Sends `request`, head and body.
pub async fn send(socket: &mut TcpStream, key: &str, request: &Request) -> Result<(), String> {
    socket
        .write_all(&request.head(key, None))
        .await
        .map_err(|e| format!("sending the head: {e}"))?;
    socket
        .write_all(&request.body)
        .await
        .map_err(|e| format!("sending the body: {e}"))
}

/// A connection to the mock.
pub async fn connect(address: &str) -> Result<TcpStream, String> {
    let socket = TcpStream::connect(address)
        .await
        .map_err(|e| format!("connecting: {e}"))?;
    socket.set_nodelay(true).map_err(|e| e.to_string())?;
    Ok(socket)
}

/// Reads an answer's head; gives back the status, the head's lines in lower case and what of
/// the body came with it.
pub async fn read_head(socket: &mut TcpStream) -> Result<(u16, String, Vec<u8>), String> {
    let mut received = Vec::with_capacity(16 * 1024);
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..end]).to_ascii_lowercase();
            let status = head
                .split(' ')
                .nth(1)
                .and_then(|code| code.parse().ok())
                .ok_or_else(|| format!("no status line: {}", first_line(&head)))?;
            return Ok((status, head, received.split_off(end + 4)));
        }
        if received.len() > MAX_HEAD {
            return Err("a head over 64 KiB".into());
        }
        let n = socket
            .read(&mut buffer)
            .await
            .map_err(|e| format!("reading the head: {e}"))?;
        if n == 0 {
            return Err("the connection closed before an answer".into());
        }
        received.extend_from_slice(&buffer[..n]);
    }
}

/// Reads a whole answer (after the request was sent).
pub async fn read_answer(socket: &mut TcpStream) -> Result<Answer, String> {
    let (status, head, mut body) = read_head(socket).await?;
    let header = |name: &str| {
        head.lines()
            .find_map(|line| line.strip_prefix(name))
            .map(|value| value.trim().to_string())
    };
    let content_type = header("content-type:").unwrap_or_default();
    let chunked = header("transfer-encoding:").is_some_and(|v| v.contains("chunked"));
    let length = header("content-length:").and_then(|v| v.parse::<usize>().ok());
    if length.is_some_and(|n| n > MAX_ANSWER) {
        return Err(format!("an answer of {length:?} bytes"));
    }
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        if length.is_some_and(|n| body.len() >= n) {
            break;
        }
        if body.len() > MAX_ANSWER {
            return Err("an answer over 64 MiB".into());
        }
        let n = socket
            .read(&mut buffer)
            .await
            .map_err(|e| format!("reading the body: {e}"))?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&buffer[..n]);
    }
    if let Some(n) = length
        && body.len() != n
    {
        return Err(format!("a body of {} bytes, {n} announced", body.len()));
    }
    let body = if chunked { unchunk(&body)? } else { body };
    Ok(Answer {
        status,
        content_type,
        body,
    })
}

/// Undoes the chunked transfer encoding; a body without its last chunk is an error.
fn unchunk(mut encoded: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::with_capacity(encoded.len());
    loop {
        let line_end = encoded
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("a chunked body cut inside a chunk size")?;
        let size_text = String::from_utf8_lossy(&encoded[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| format!("a bad chunk size {size_text:?}"))?;
        encoded = &encoded[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        if encoded.len() < size + 2 {
            return Err("a chunked body cut inside a chunk".into());
        }
        body.extend_from_slice(&encoded[..size]);
        encoded = &encoded[size + 2..];
    }
}

/// Waits until the server closes `socket` (or resets it), reading and dropping what comes;
/// gives back the status of an answer that came first, if any.
pub async fn until_closed(socket: &mut TcpStream) -> Option<u16> {
    let mut first = Vec::new();
    let mut buffer = vec![0u8; 16 * 1024];
    while let Ok(n) = socket.read(&mut buffer).await {
        if n == 0 {
            break;
        }
        if first.len() < 64 {
            first.extend_from_slice(&buffer[..n]);
        }
    }
    let text = String::from_utf8_lossy(&first);
    text.split(' ').nth(1).and_then(|code| code.parse().ok())
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}
