//! The accept loop: what `axum::serve` does, with the bounds it lacks. A client that opens a
//! connection and sends half its headers (or nothing) is disconnected after
//! `Config::header_read_timeout`, and at most `Config::max_connections` connections are
//! served at once — the rest wait in the listen backlog — so that stalled clients cannot hold
//! every file descriptor and lock normal clients out. (A body that stops arriving is the body
//! layer's: `body::watch_idle`.)
//!
//! HTTP/1.1 only, as the mock served through `axum::serve` without axum's `http2` feature.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};

/// How many connections are served at once by default: below the 1024 descriptors a process
/// gets by default on Linux, less what the mock keeps open itself (its data directory's files,
/// the listener).
pub const DEFAULT_MAX_CONNECTIONS: usize = 900;

/// How long a client may take to send its request's headers by default (hyper's default, and
/// half of nginx's `client_header_timeout`). It also closes a keep-alive connection left idle
/// that long, which clients' pools expect.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The bounds of the accept loop (from `Config`, which this module does not import: `state`
/// imports the defaults here).
#[derive(Clone, Copy, Debug)]
pub struct ConnectionLimits {
    header_read_timeout: Option<Duration>,
    max_connections: usize,
}

impl ConnectionLimits {
    /// The limits `Config::header_read_timeout` and `Config::max_connections` ask for; zero
    /// turns either off.
    pub fn new(header_read_timeout: Duration, max_connections: usize) -> Self {
        Self {
            header_read_timeout: Some(header_read_timeout).filter(|t| !t.is_zero()),
            max_connections: match max_connections {
                0 => Semaphore::MAX_PERMITS,
                n => n.min(Semaphore::MAX_PERMITS),
            },
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then lets the open connections
/// finish their requests (as `axum::serve`'s graceful shutdown does) and returns.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stopping, stop_signal) = watch::channel(false);
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    // No `half_close`: a client that closes its side has gone (it gave up, timed out), and its
    // request is dropped at once — journaled as 499 — instead of rendering for nobody, as
    // `axum::serve` did.
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // A slot first, then the connection: at the cap, new clients wait in the backlog
        // instead of taking a descriptor the mock cannot serve.
        let slot = tokio::select! {
            () = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    // An answer goes out as soon as it is written, as nginx's `tcp_nodelay`:
                    // a small answer must not wait for the client's delayed ACK.
                    let _ = stream.set_nodelay(true);
                    stream
                }
                Err(error) => {
                    pause_after_accept_error(&error).await;
                    continue;
                }
            },
        };
        let connection = builder
            .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()))
            .with_upgrades();
        let mut stop_signal = stop_signal.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut connection = std::pin::pin!(connection);
            let stopped = tokio::select! {
                served = connection.as_mut() => Some(served),
                _ = stop_signal.wait_for(|stop| *stop) => None,
            };
            let served = match stopped {
                Some(served) => served,
                None => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(error) = served {
                tracing::debug!(%error, "connection closed");
            }
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Every connection holds a slot until it is done: taking them all waits for the last.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// An accept that failed: a connection reset before it was accepted is the client's and is
/// skipped at once; anything else (out of descriptors) is waited out a little rather than
/// retried in a hot loop.
async fn pause_after_accept_error(error: &std::io::Error) {
    use std::io::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::ConnectionRefused | ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::warn!(%error, "cannot accept a connection");
    tokio::time::sleep(Duration::from_millis(100)).await;
}
