//! The soak's traffic: each class of request, how often it comes, what it must be answered and
//! how slow its 99th percentile may be. Every answer is checked (`checks.rs`); an answer other
//! than the intended one is an error of the run.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::time::timeout;

use super::checks;
use super::http::{self, Request};

const MODEL_PATH: &str = "/v1beta/models/gemini-3.1-flash-image";
/// The longest any one request may take before it counts as an error (a hang).
const HANG: Duration = Duration::from_secs(120);

/// One class of request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// An image asked for again: answered from the cache.
    Cached,
    /// A new 512 image: a light render.
    New512,
    /// A new 2K image: a render of real weight (some 1.5 MB of JPEG).
    New2k,
    /// A new 4K image: the heaviest render (some 6 MB of JPEG).
    New4k,
    /// A new 1K image, streamed.
    Streamed,
    /// An edit of a 1K photo sent inline.
    Edit,
    /// A body that is no JSON: 400.
    BadJson,
    /// A model that does not exist: 404.
    UnknownModel,
    /// A 503 asked for through `x-mock-scenario`.
    Overloaded,
    /// A 21 MB body: 400, its bytes drained.
    Oversized,
    /// A PNG of a few hundred bytes declaring 16384×16384 pixels: 400 before any pixel.
    PixelBomb,
    /// A gzip-compressed body (`content-encoding: gzip`): the mock does not inflate bodies, so
    /// a gzip bomb is bytes that are no JSON: 400.
    Gzip,
    /// Half a head, then silence: the connection is closed at the header timeout.
    StalledHead,
    /// A whole head and half a body, then silence: 408 at the body timeout.
    StalledBody,
    /// Half a body, then the connection is closed.
    AbortedBody,
    /// The head and a piece of an image answer, then the connection is closed.
    AbortedAnswer,
}

/// Every class, its share of the traffic (in a hundred picks) and its 99th-percentile bound
/// on a shared 2-core machine (the stalls: the timeouts they wait out, plus room).
pub const CLASSES: &[(Class, u32, Duration)] = &[
    (Class::Cached, 28, Duration::from_secs(3)),
    (Class::New512, 12, Duration::from_secs(30)),
    (Class::New2k, 6, Duration::from_secs(40)),
    (Class::New4k, 1, Duration::from_secs(60)),
    (Class::Streamed, 8, Duration::from_secs(30)),
    (Class::Edit, 6, Duration::from_secs(30)),
    (Class::BadJson, 6, Duration::from_secs(3)),
    (Class::UnknownModel, 5, Duration::from_secs(3)),
    (Class::Overloaded, 5, Duration::from_secs(3)),
    (Class::Oversized, 2, Duration::from_secs(10)),
    // Its header is read before the render queue (`routes/generate.rs`): no wait behind renders.
    (Class::PixelBomb, 4, Duration::from_secs(3)),
    (Class::Gzip, 3, Duration::from_secs(3)),
    (Class::StalledHead, 3, Duration::from_secs(STALL_SECS + 4)),
    (Class::StalledBody, 3, Duration::from_secs(STALL_SECS + 4)),
    (Class::AbortedBody, 4, Duration::from_secs(3)),
    (Class::AbortedAnswer, 4, Duration::from_secs(30)),
];

/// The mock's header and body timeouts in the soak, so that stalls end within it.
pub const STALL_SECS: u64 = 2;

/// What every request of a run shares.
pub struct Traffic {
    pub address: String,
    pub key: String,
    /// A 1K JPEG the mock drew, base64: the photo edits send.
    pub photo: String,
    /// A body over Google's 20 MB.
    pub oversized: Vec<u8>,
    /// A gzip stream of zeros, a thousand times smaller than what it inflates to.
    pub gzip_bomb: Vec<u8>,
}

impl Class {
    /// The class's name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Class::Cached => "cached 1K",
            Class::New512 => "new 512 (light)",
            Class::New2k => "new 2K",
            Class::New4k => "new 4K",
            Class::Streamed => "streamed 1K",
            Class::Edit => "edit 1K",
            Class::BadJson => "bad JSON 400",
            Class::UnknownModel => "unknown model 404",
            Class::Overloaded => "scenario 503",
            Class::Oversized => "21 MB body 400",
            Class::PixelBomb => "pixel bomb 400",
            Class::Gzip => "gzip body 400",
            Class::StalledHead => "stalled head",
            Class::StalledBody => "stalled body 408",
            Class::AbortedBody => "cut mid-body",
            Class::AbortedAnswer => "cut mid-answer",
        }
    }

    /// Sends one request of this class (`n` makes a new image's prompt unique) and checks its
    /// answer.
    pub async fn run(self, traffic: &Arc<Traffic>, n: u64) -> Result<(), String> {
        let t = traffic;
        let exchange = |request: Request| async move {
            http::exchange(&t.address, &t.key, &request, HANG).await
        };
        match self {
            Class::Cached => {
                let prompt = format!("a lighthouse, view {}", n % 8);
                let answer = exchange(generate(&prompt, "1K", "generateContent")).await?;
                checks::image_answer(&answer, (1024, 1024))
            }
            Class::New512 => {
                let answer = exchange(generate(&unique(n), "512", "generateContent")).await?;
                checks::image_answer(&answer, (512, 512))
            }
            Class::New2k => {
                let answer = exchange(generate(&unique(n), "2K", "generateContent")).await?;
                checks::image_answer(&answer, (2048, 2048))
            }
            Class::New4k => {
                let answer = exchange(generate(&unique(n), "4K", "generateContent")).await?;
                checks::image_answer(&answer, (4096, 4096))
            }
            Class::Streamed => {
                let request = generate(&unique(n), "1K", "streamGenerateContent?alt=sse");
                checks::stream_answer(&exchange(request).await?, (1024, 1024))
            }
            Class::Edit => {
                let parts = serde_json::json!([
                    {"inlineData": {"mimeType": "image/jpeg", "data": t.photo}},
                    {"text": format!("make it blue, take {n}")}
                ]);
                let answer = exchange(with_parts(parts, "1K", "generateContent")).await?;
                checks::image_answer(&answer, (1024, 1024))
            }
            Class::BadJson => {
                let request = Request::post_json(
                    format!("{MODEL_PATH}:generateContent"),
                    br#"{"contents": [{"parts": [{"text": "unfinished"#.to_vec(),
                );
                checks::google_error(&exchange(request).await?, 400, "INVALID_ARGUMENT")
            }
            Class::UnknownModel => {
                let mut request = generate(&unique(n), "1K", "generateContent");
                request.path = "/v1beta/models/no-such-model-soak:generateContent".into();
                checks::google_error(&exchange(request).await?, 404, "NOT_FOUND")
            }
            Class::Overloaded => {
                let mut request = generate(&unique(n), "1K", "generateContent");
                request
                    .headers
                    .push(("x-mock-scenario", "overloaded".into()));
                checks::google_error(&exchange(request).await?, 503, "UNAVAILABLE")
            }
            Class::Oversized => {
                let request = Request::post_json(
                    format!("{MODEL_PATH}:generateContent"),
                    t.oversized.clone(),
                );
                checks::google_error(&exchange(request).await?, 400, "INVALID_ARGUMENT")
            }
            Class::PixelBomb => {
                let parts = serde_json::json!([
                    {"inlineData": {"mimeType": "image/png", "data": pixel_bomb_base64()?}},
                    {"text": "make it blue"}
                ]);
                let answer = exchange(with_parts(parts, "1K", "generateContent")).await?;
                checks::google_error(&answer, 400, "INVALID_ARGUMENT")
            }
            Class::Gzip => {
                let mut request = Request::post_json(
                    format!("{MODEL_PATH}:generateContent"),
                    t.gzip_bomb.clone(),
                );
                request.headers.push(("content-encoding", "gzip".into()));
                checks::google_error(&exchange(request).await?, 400, "INVALID_ARGUMENT")
            }
            Class::StalledHead => stalled_head(t).await,
            Class::StalledBody => stalled_body(t, n).await,
            Class::AbortedBody => aborted_body(t, n).await,
            Class::AbortedAnswer => aborted_answer(t, n).await,
        }
    }
}

/// A prompt no other request of the run sends: a render, not a cache hit.
fn unique(n: u64) -> String {
    format!("a red bicycle on a quay, soak take {n}")
}

fn generate(prompt: &str, size: &str, method: &str) -> Request {
    with_parts(serde_json::json!([{"text": prompt}]), size, method)
}

fn with_parts(parts: serde_json::Value, size: &str, method: &str) -> Request {
    let body = serde_json::json!({
        "contents": [{"role": "user", "parts": parts}],
        "generationConfig": {
            "responseModalities": ["IMAGE"],
            "imageConfig": {"imageSize": size, "aspectRatio": "1:1"}
        }
    });
    Request::post_json(
        format!("{MODEL_PATH}:{method}"),
        serde_json::to_vec(&body).unwrap_or_default(),
    )
}

/// Half a head, then nothing: the mock must close the connection (or answer 408) at its
/// header timeout, not keep it for ever.
async fn stalled_head(t: &Traffic) -> Result<(), String> {
    let mut socket = http::connect(&t.address).await?;
    let head = generate("stalled", "1K", "generateContent").head(&t.key, None);
    socket
        .write_all(&head[..head.len() / 2])
        .await
        .map_err(|e| format!("sending half a head: {e}"))?;
    let limit = Duration::from_secs(STALL_SECS + 10);
    match timeout(limit, http::until_closed(&mut socket)).await {
        Ok(None | Some(408)) => Ok(()),
        Ok(Some(status)) => Err(format!("half a head answered {status}")),
        Err(_) => Err(format!("a stalled head kept open over {limit:?}")),
    }
}

/// A whole head and half the body it announces, then nothing: Google-shaped 408.
async fn stalled_body(t: &Traffic, n: u64) -> Result<(), String> {
    let request = generate(&unique(n), "1K", "generateContent");
    let mut socket = http::connect(&t.address).await?;
    socket
        .write_all(&request.head(&t.key, None))
        .await
        .map_err(|e| format!("sending the head: {e}"))?;
    socket
        .write_all(&request.body[..request.body.len() / 2])
        .await
        .map_err(|e| format!("sending half a body: {e}"))?;
    let limit = Duration::from_secs(STALL_SECS + 10);
    let answer = timeout(limit, http::read_answer(&mut socket))
        .await
        .map_err(|_| format!("a stalled body not answered within {limit:?}"))??;
    checks::google_error(&answer, 408, "DEADLINE_EXCEEDED")
}

/// A head announcing a megabyte, a tenth of it, then the connection closed.
async fn aborted_body(t: &Traffic, n: u64) -> Result<(), String> {
    let request = generate(&unique(n), "1K", "generateContent");
    let mut socket = http::connect(&t.address).await?;
    socket
        .write_all(&request.head(&t.key, Some(1024 * 1024)))
        .await
        .map_err(|e| format!("sending the head: {e}"))?;
    // A reset of a connection the mock already closed is no failure of this client.
    let _ = socket.write_all(&vec![b' '; 100 * 1024]).await;
    Ok(())
}

/// A new 1K image asked for; the head and a piece of the answer read, then the connection
/// closed (the render goes on and is cached; the mock must let the connection go).
async fn aborted_answer(t: &Traffic, n: u64) -> Result<(), String> {
    let request = generate(&unique(n), "1K", "generateContent");
    timeout(HANG, async {
        let mut socket = http::connect(&t.address).await?;
        http::send(&mut socket, &t.key, &request).await?;
        match http::read_head(&mut socket).await? {
            (200, _, _) => Ok(()),
            (status, _, body) => Err(format!(
                "status {status} instead of 200: {}",
                checks::preview(&body)
            )),
        }
    })
    .await
    .map_err(|_| format!("no head within {HANG:?}"))?
}

/// A PNG of a few dozen bytes whose header declares 16384×16384 one-bit pixels (32 MB once
/// decoded to bytes, 1 GB as RGBA), its IDAT a zlib stream of one stored empty block — not
/// the pixels it promises: the mock must refuse it from its header. The `png` crate writes
/// the chunks and their CRCs.
fn pixel_bomb_base64() -> Result<String, String> {
    use base64::Engine as _;
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, 16384, 16384);
    encoder.set_depth(png::BitDepth::One);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    let idat = [0x78, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0, 0, 0, 1];
    writer
        .write_chunk(png::chunk::IDAT, &idat)
        .and_then(|()| writer.finish())
        .map_err(|e| format!("the pixel bomb: {e}"))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(png))
}

/// A request body past 21 MB: Google's limit is 20 MB.
pub fn oversized_body() -> Vec<u8> {
    let mut body = br#"{"contents": [{"parts": [{"text": ""#.to_vec();
    body.resize(body.len() + 21 * 1024 * 1024, b'a');
    body.extend_from_slice(br#""}]}]}"#);
    body
}

/// A gzip member of 4 MiB of zeros: some 4 KiB on the wire.
pub fn gzip_bomb() -> Vec<u8> {
    let zeros = vec![0u8; 4 * 1024 * 1024];
    let deflated = miniz_oxide::deflate::compress_to_vec(&zeros, 6);
    let mut gzip = vec![0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF];
    gzip.extend_from_slice(&deflated);
    // The CRC-32 of the data and its length: the trailer a gzip reader checks.
    gzip.extend_from_slice(&crc32fast::hash(&zeros).to_le_bytes());
    gzip.extend_from_slice(&(zeros.len() as u32).to_le_bytes());
    gzip
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;

    #[test]
    fn the_pixel_bomb_declares_its_size_in_a_header_a_png_reader_accepts() {
        let png = base64::engine::general_purpose::STANDARD
            .decode(super::pixel_bomb_base64().unwrap())
            .unwrap();
        assert!(png.len() < 100, "{} bytes", png.len());
        let reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .unwrap();
        assert_eq!((reader.info().width, reader.info().height), (16384, 16384));
    }
}
