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
use gemini_image::{
    InteractionStream, RequestBuilder, ResponseExt, ResponseStream, codec, image_part,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

mod fixtures;
use fixtures::{generate_content_sse, image_of, response_json};

/// 2,000,000 random bytes behind a PNG signature, as in performance-notes.md.
fn image() -> Vec<u8> {
    image_of(2_000_000)
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

/// An answer of a gemini-3 model with its thought signature (about a megabyte of base64, sent
/// back with every turn of a chat), read by serde_json and by the codec.
fn decode_signature(c: &mut Criterion) {
    let signature = image_of(1_000_000);
    let body = serde_json::to_vec_pretty(&json!({"candidates": [{"content": {"role": "model", "parts": [
        {"text": "Here is the dish.", "thoughtSignature": base64::engine::general_purpose::STANDARD.encode(&signature)}
    ]}, "finishReason": "STOP", "index": 0}]}))
    .unwrap();
    let sdk = |body: &[u8]| {
        let response: GenerateContentResponse = codec::from_body(body).unwrap();
        response
    };
    let read = sdk(&body);
    let parts = &read.candidates[0].content.as_ref().unwrap().parts;
    assert_eq!(parts[0].thought_signature.as_deref(), Some(&signature[..]));

    let mut group = c.benchmark_group("decode_signature");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("memcpy", |b| {
        b.iter(|| black_box(black_box(&body[..]).to_vec()))
    });
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

/// A streamed interaction's body as the real server writes it (compact JSON, `event:` lines,
/// `[DONE]`): a thought with its signature, then the image whole in one `step.delta`.
fn interaction_sse(image: &[u8]) -> Vec<u8> {
    let data = base64::engine::general_purpose::STANDARD.encode(image);
    let interaction = json!({"id": "v1_ChZhYmMSFmFiYw", "status": "in_progress", "object": "interaction", "model": "gemini-3.1-flash-image"});
    let mut completed = interaction.clone();
    completed["status"] = json!("completed");
    completed["usage"] = json!({"total_tokens": 2532, "total_input_tokens": 12, "total_output_tokens": 2520, "output_tokens_by_modality": [{"modality": "image", "tokens": 2520}]});
    let events = [
        json!({"interaction": interaction, "event_type": "interaction.created"}),
        json!({"interaction_id": "v1_ChZhYmMSFmFiYw", "status": "in_progress", "event_type": "interaction.status_update"}),
        json!({"index": 0, "step": {"type": "thought"}, "event_type": "step.start"}),
        json!({"index": 0, "delta": {"signature": "EssaCsgaAQw51sfy4hmYIDYY", "type": "thought_signature"}, "event_type": "step.delta"}),
        json!({"index": 0, "event_type": "step.stop"}),
        json!({"index": 1, "step": {"type": "model_output"}, "event_type": "step.start"}),
        json!({"index": 1, "delta": {"mime_type": "image/png", "data": data, "type": "image"}, "event_type": "step.delta"}),
        json!({"index": 1, "event_type": "step.stop"}),
        json!({"interaction": completed, "event_type": "interaction.completed"}),
    ];
    let mut body: String = events
        .iter()
        .map(|event| {
            format!(
                "event: {}\ndata: {event}\n\n",
                event["event_type"].as_str().unwrap()
            )
        })
        .collect();
    body.push_str("event: done\ndata: [DONE]\n\n");
    body.into_bytes()
}

/// Network-sized reads of `body`.
fn pieces_of(body: &[u8]) -> Vec<Bytes> {
    body.chunks(16 * 1024).map(Bytes::copy_from_slice).collect()
}

fn sse_stream(c: &mut Criterion) {
    let image = image();
    let body = generate_content_sse(&image);
    let pieces = pieces_of(&body);
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

/// A 4K image (8 MB of it) streamed through the Interactions API and through
/// `streamGenerateContent`, in one run: the same fast path should make them cost the same
/// (the target: within 5 %).
fn stream_4k(c: &mut Criterion) {
    let image = image_of(8_000_000);
    let classic = pieces_of(&generate_content_sse(&image));
    let interactions = pieces_of(&interaction_sse(&image));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let read_classic = || {
        let chunks = futures_util::stream::iter(classic.clone().into_iter().map(Ok));
        runtime
            .block_on(ResponseStream::from_sse(chunks).collect_response())
            .unwrap()
            .images()
    };
    let read_interactions = || {
        let chunks = futures_util::stream::iter(interactions.clone().into_iter().map(Ok));
        runtime
            .block_on(InteractionStream::from_sse(chunks).collect_interaction())
            .unwrap()
            .images()
    };
    assert_eq!(read_classic()[0].bytes[..], image[..]);
    assert_eq!(read_interactions()[0].bytes[..], image[..]);

    let mut group = c.benchmark_group("stream_4k");
    group.throughput(Throughput::Bytes(image.len() as u64 * 4 / 3));
    let encoded = base64::engine::general_purpose::STANDARD.encode(&image);
    group.bench_function("memcpy", |b| {
        b.iter(|| black_box(black_box(encoded.as_bytes()).to_vec()))
    });
    group.bench_function("stream_generate_content", |b| b.iter(read_classic));
    group.bench_function("interactions", |b| b.iter(read_interactions));
    group.finish();
}

criterion_group!(
    benches,
    decode_response,
    decode_signature,
    encode_request,
    sse_stream,
    stream_4k
);
criterion_main!(benches);
