//! The client's hot paths on a realistic image response, each beside its references in the same
//! group and run: `memcpy` (copying the input once: the physical limit) and `naive` (what Rust
//! Gemini crates do today: serde_json into an owned `String`, then the scalar `base64` crate).
//!
//! `cargo bench -p gemini-image --bench codec`; `cargo xtask bench` prints the table.

use std::hint::black_box;

use base64::Engine as _;
use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gemini_image::types::GenerateContentResponse;
use gemini_image::{RequestBuilder, ResponseExt, ResponseStream, codec, image_part};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// 2,000,000 random bytes behind a PNG signature, as in performance-notes.md.
fn image() -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((8..2_000_000).map(|_| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 24) as u8
    }));
    bytes
}

/// The response Google sends for one image: pretty-printed, keys in Google's order.
fn response_json(image: &[u8]) -> serde_json::Value {
    json!({
        "candidates": [{
            "content": {
                "parts": [
                    {"text": "Here is the nano banana dish you asked for."},
                    {"inlineData": {"mimeType": "image/png", "data": base64::engine::general_purpose::STANDARD.encode(image)}}
                ],
                "role": "model"
            },
            "finishReason": "STOP",
            "index": 0
        }],
        "usageMetadata": {
            "promptTokenCount": 12,
            "candidatesTokenCount": 1299,
            "totalTokenCount": 1311,
            "promptTokensDetails": [{"modality": "TEXT", "tokenCount": 12}],
            "candidatesTokensDetails": [{"modality": "IMAGE", "tokenCount": 1290}]
        },
        "modelVersion": "gemini-3.1-flash-image",
        "responseId": "r1xAab-GH6WtmtkPzZ7a4Ak"
    })
}

// The naive path: owned strings, then a scalar decode.
#[derive(Deserialize)]
struct NaiveResponse {
    candidates: Vec<NaiveCandidate>,
}
#[derive(Deserialize)]
struct NaiveCandidate {
    content: NaiveContent,
}
#[derive(Deserialize, Serialize)]
struct NaiveContent {
    parts: Vec<NaivePart>,
    role: String,
}
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct NaivePart {
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    inline_data: Option<NaiveBlob>,
}
#[derive(Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
struct NaiveBlob {
    mime_type: String,
    data: String,
}
#[derive(Serialize)]
struct NaiveRequest {
    contents: Vec<NaiveContent>,
}

fn naive_decode(body: &[u8]) -> Vec<u8> {
    let response: NaiveResponse = serde_json::from_slice(body).expect("valid body");
    let data = response.candidates[0].content.parts[1]
        .inline_data
        .as_ref()
        .expect("an image")
        .data
        .as_str();
    base64::engine::general_purpose::STANDARD
        .decode(data)
        .expect("valid base64")
}

fn decode_response(c: &mut Criterion) {
    let image = image();
    let body = serde_json::to_vec_pretty(&response_json(&image)).unwrap();
    assert_eq!(naive_decode(&body), image);
    let sdk = |body: &[u8]| {
        let response: GenerateContentResponse = codec::from_body(body).unwrap();
        response.images().remove(0).bytes
    };
    assert_eq!(sdk(&body)[..], image[..]);

    let mut group = c.benchmark_group("decode_response");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("memcpy", |b| {
        b.iter(|| black_box(black_box(&body[..]).to_vec()))
    });
    group.bench_function("naive", |b| b.iter(|| naive_decode(black_box(&body))));
    group.bench_function("serde_json_typed", |b| {
        b.iter(|| {
            let response: GenerateContentResponse =
                serde_json::from_slice(black_box(&body)).unwrap();
            response
        })
    });
    group.bench_function("gemini_image", |b| b.iter(|| sdk(black_box(&body))));
    group.finish();
}

fn encode_request(c: &mut Criterion) {
    let image = image();
    let request = RequestBuilder::image()
        .parts(image_part(image.clone()).unwrap())
        .text("make it blue")
        .build();
    let body = codec::to_body(&request).unwrap();
    let naive = || {
        let request = NaiveRequest {
            contents: vec![NaiveContent {
                parts: vec![
                    NaivePart {
                        text: None,
                        inline_data: Some(NaiveBlob {
                            mime_type: "image/png".into(),
                            data: base64::engine::general_purpose::STANDARD
                                .encode(black_box(&image)),
                        }),
                    },
                    NaivePart {
                        text: Some("make it blue".into()),
                        inline_data: None,
                    },
                ],
                role: "user".into(),
            }],
        };
        serde_json::to_vec(&request).unwrap()
    };
    assert!(naive().len() + 64 > body.len());

    let mut group = c.benchmark_group("encode_request");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("memcpy", |b| {
        b.iter(|| black_box(black_box(&body[..]).to_vec()))
    });
    group.bench_function("naive", |b| b.iter(naive));
    group.bench_function("serde_json_typed", |b| {
        b.iter(|| serde_json::to_vec(black_box(&request)).unwrap())
    });
    group.bench_function("gemini_image", |b| {
        b.iter(|| codec::to_body(black_box(&request)).unwrap())
    });
    group.finish();
}

fn sse_stream(c: &mut Criterion) {
    let image = image();
    // Three events as Google streams an image: text, the whole image, the last text.
    let full = response_json(&image);
    let mut first = full.clone();
    first["candidates"][0]["content"]["parts"] = json!([{"text": "Here is"}]);
    first["candidates"][0]
        .as_object_mut()
        .unwrap()
        .remove("finishReason");
    let mut middle = first.clone();
    middle["candidates"][0]["content"]["parts"] =
        json!([full["candidates"][0]["content"]["parts"][1].clone()]);
    let mut last = full.clone();
    last["candidates"][0]["content"]["parts"] = json!([{"text": " the dish."}]);
    let body: Vec<u8> = [first, middle, last]
        .iter()
        .map(|event| {
            let line = serde_json::to_string(event).unwrap().replace("\":", "\": ");
            format!("data: {line}\r\n\r\n")
        })
        .collect::<String>()
        .into_bytes();
    // Network-sized reads.
    let pieces: Vec<Bytes> = body.chunks(16 * 1024).map(Bytes::copy_from_slice).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let read = || {
        let chunks = futures_util::stream::iter(pieces.clone().into_iter().map(Ok));
        runtime
            .block_on(ResponseStream::from_sse(chunks).collect_response())
            .unwrap()
    };
    assert_eq!(read().images()[0].bytes[..], image[..]);

    let mut group = c.benchmark_group("sse_stream");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("memcpy", |b| {
        b.iter(|| black_box(black_box(&body[..]).to_vec()))
    });
    group.bench_function("gemini_image", |b| b.iter(read));
    group.finish();
}

criterion_group!(benches, decode_response, encode_request, sse_stream);
criterion_main!(benches);
