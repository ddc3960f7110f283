//! A hand-scripted HTTP server on loopback, for the byte-level faults `gemini-image-mock` does not
//! make: a body written in pieces of a chosen size, LF or CR line ends, a proxy's HTML error.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the server answers to every request.
#[derive(Clone)]
pub struct Script {
    /// `200 OK`, `502 Bad Gateway` …
    pub status: &'static str,
    pub content_type: &'static str,
    pub body: Vec<u8>,
    /// The body is written in pieces of this many bytes, each flushed on its own.
    pub piece: usize,
}

/// Serves `script` to every connection; returns the base URL.
pub async fn serve(script: Script) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let script = script.clone();
            tokio::spawn(async move {
                socket.set_nodelay(true).unwrap();
                read_request(&mut socket).await;
                let head = format!(
                    "HTTP/1.1 {}\r\ncontent-type: {}\r\nconnection: close\r\n\r\n",
                    script.status, script.content_type
                );
                socket.write_all(head.as_bytes()).await.unwrap();
                for piece in script.body.chunks(script.piece.max(1)) {
                    if socket.write_all(piece).await.is_err() {
                        return;
                    }
                    socket.flush().await.unwrap();
                    // Lets the client read each piece on its own.
                    tokio::time::sleep(Duration::from_micros(200)).await;
                }
                let _ = socket.shutdown().await;
            });
        }
    });
    format!("http://{address}")
}

/// Reads the head and a `content-length` body.
pub async fn read_request(socket: &mut tokio::net::TcpStream) {
    let mut received = Vec::new();
    let mut buffer = [0u8; 8192];
    loop {
        let n = socket.read(&mut buffer).await.unwrap();
        if n == 0 {
            return;
        }
        received.extend_from_slice(&buffer[..n]);
        if let Some(end) = received.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&received[..end]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            while received.len() < end + 4 + length {
                let n = socket.read(&mut buffer).await.unwrap();
                if n == 0 {
                    return;
                }
                received.extend_from_slice(&buffer[..n]);
            }
            return;
        }
    }
}
