//! The mock over real loopback HTTP: every route, images, edits, framing, errors.

use gemini_image_mock::{Config, ImageWeight, MockServer, PictureFormat};
use gemini_image_types::models;
use gemini_image_types::types::{
    CountTokensResponse, GenerateContentResponse, ListModelsResponse, PredictResponse,
};
use image::GenericImageView;
use reqwest::Method;
use serde_json::{Value, json};
use support::{KEY, read, with_key};

mod support;

/// A 1×1 PNG, base64.
const TINY_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";

async fn post(server: &MockServer, path: &str, body: &Value) -> reqwest::Response {
    with_key(server, Method::POST, path)
        .json(body)
        .send()
        .await
        .expect("the mock answers")
}

async fn generate(server: &MockServer, model: &str, body: Value) -> GenerateContentResponse {
    let response = post(
        server,
        &format!("/v1beta/models/{model}:generateContent"),
        &body,
    )
    .await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    response.json().await.expect("a GenerateContentResponse")
}

/// Every image of the first candidate, decoded.
fn images(response: &GenerateContentResponse) -> Vec<(String, Vec<u8>)> {
    response.candidates[0]
        .content
        .as_ref()
        .expect("content")
        .parts
        .iter()
        .filter_map(|p| p.inline_data.as_ref())
        .map(|blob| {
            (
                blob.mime_type.clone().unwrap_or_default(),
                blob.data.clone().unwrap_or_default().to_vec(),
            )
        })
        .collect()
}

/// Generates and returns the bytes of the first image of the answer.
async fn first_image(server: &MockServer, model: &str, body: Value) -> Vec<u8> {
    images(&generate(server, model, body).await).remove(0).1
}

fn texts(response: &GenerateContentResponse) -> Vec<String> {
    response.candidates[0]
        .content
        .as_ref()
        .unwrap()
        .parts
        .iter()
        .filter_map(|p| p.text.clone())
        .collect()
}

fn prompt(text: &str) -> Value {
    json!({"contents": [{"role": "user", "parts": [{"text": text}]}]})
}

#[tokio::test]
async fn the_seed_curl_example_gets_text_and_a_png_with_legacy_models() {
    let server = support::legacy_server().await;
    // Byte for byte what Google's page sends, key in the query string.
    let body = r#"{
    "contents": [{
      "parts": [
        {"text": "Hi, can you create a 3d rendered image of a pig with wings and a top hat flying over a happy futuristic scifi city with lots of greenery?"}
      ]
    }],
    "generationConfig":{"responseModalities":["TEXT","IMAGE"]}
  }"#;
    let response = reqwest::Client::new()
        .post(format!(
            "{}/v1beta/models/gemini-2.0-flash-exp-image-generation:generateContent?key=my-key",
            server.uri()
        ))
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "application/json; charset=UTF-8"
    );
    let response: GenerateContentResponse = response.json().await.unwrap();
    assert!(
        !texts(&response).is_empty(),
        "text parts come with the image"
    );
    let images = images(&response);
    assert_eq!(images.len(), 1);
    assert_eq!(images[0].0, "image/png");
    let picture =
        image::load_from_memory_with_format(&images[0].1, image::ImageFormat::Png).unwrap();
    assert_eq!(picture.dimensions(), (1024, 1024));
    let usage = response.usage_metadata.unwrap();
    assert_eq!(
        usage
            .candidates_tokens_details
            .iter()
            .find_map(|d| d.token_count.filter(|&c| c == 1290)),
        Some(1290)
    );
}

#[tokio::test]
async fn images_have_the_real_dimensions_for_ratio_and_size() {
    let server = MockServer::start().await.unwrap();
    let legacy = support::legacy_server().await;
    let cases = [
        (&legacy, "gemini-2.5-flash-image", "16:9", None, (1344, 768)),
        (&legacy, "gemini-2.5-flash-image", "21:9", None, (1536, 672)),
        (
            &legacy,
            "gemini-2.5-flash-image",
            "9:16",
            Some("2K"),
            (768, 1344),
        ),
        (
            &server,
            "gemini-3-pro-image",
            "16:9",
            Some("2K"),
            (2752, 1536),
        ),
        (&server, "gemini-3.1-flash-image", "4:5", None, (928, 1152)),
        (
            &server,
            "gemini-3.1-flash-image",
            "21:9",
            Some("512"),
            (792, 336),
        ),
        (
            &server,
            "gemini-3.1-flash-image",
            "1:4",
            Some("512"),
            (256, 1024),
        ),
        (&server, "gemini-3.1-flash-image", "8:1", None, (3072, 384)),
        (
            &server,
            "gemini-3-pro-image",
            "1:8",
            Some("4K"),
            (1536, 12288),
        ),
        (
            &server,
            "gemini-3.1-flash-lite-image",
            "4:1",
            None,
            (2048, 512),
        ),
    ];
    for (server, model, ratio, size, expected) in cases {
        let mut body = prompt("a lighthouse");
        body["generationConfig"] =
            json!({"responseModalities": ["IMAGE"], "imageConfig": {"aspectRatio": ratio}});
        if let Some(size) = size {
            body["generationConfig"]["imageConfig"]["imageSize"] = json!(size);
        }
        let response = generate(server, model, body).await;
        let images = images(&response);
        assert_eq!(images.len(), 1, "{model} {ratio}");
        let mime = models::find(model).and_then(|m| m.image_mime_type);
        assert_eq!(Some(images[0].0.as_str()), mime, "{model}");
        let picture = image::load_from_memory(&images[0].1).unwrap();
        assert_eq!(picture.dimensions(), expected, "{model} {ratio} {size:?}");
    }
}

#[tokio::test]
async fn a_ratio_or_size_the_model_does_not_take_is_refused_as_google_words_it() {
    let server = MockServer::start().await.unwrap();
    let legacy = support::legacy_server().await;
    let cases = [
        (
            &server,
            "gemini-3.1-flash-image",
            json!({"aspectRatio": "7:3"}),
            "* GenerateContentRequest.generation_config.image_config.aspect_ratio: aspect_ratio \
             must be one of '1:1', '1:4', '1:8', '2:3', '3:2', '3:4', '4:1', '4:3', '4:5', \
             '5:4', '8:1', '9:16', '16:9', or '21:9'.\n",
        ),
        (
            &server,
            "gemini-3-pro-image",
            json!({"imageSize": "512"}),
            "* GenerateContentRequest.generation_config.image_config.image_size: image_size must \
             be one of '1K', '2K', or '4K'.\n",
        ),
        (
            &legacy,
            "gemini-2.5-flash-image",
            json!({"aspectRatio": "8:1", "imageSize": "4K"}),
            "* GenerateContentRequest.generation_config.image_config.aspect_ratio: aspect_ratio \
             must be one of '1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', or \
             '21:9'.\n",
        ),
    ];
    let cases = cases.into_iter().chain([(
        &server,
        "gemini-3.5-flash",
        json!({"imageSize": "AAA"}),
        "* GenerateContentRequest.generation_config.image_config.image_size: image_size must \
         be one of '512', '1K', '2K', or '4K'.\n",
    )]);
    for (server, model, image_config, message) in cases {
        let mut body = prompt("a lighthouse");
        body["generationConfig"] = json!({"imageConfig": image_config});
        let response = post(
            server,
            &format!("/v1beta/models/{model}:generateContent"),
            &body,
        )
        .await;
        assert_eq!(response.status(), 400, "{model}");
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["status"], "INVALID_ARGUMENT");
        assert_eq!(error["error"]["message"], message, "{model}");
    }
    // countTokens checks the request it wraps as generateContent would.
    let counted = post(
        &server,
        "/v1beta/models/gemini-3.1-flash-image:countTokens",
        &json!({"generateContentRequest": {
            "model": "models/gemini-3.1-flash-image",
            "contents": [{"parts": [{"text": "x"}]}],
            "generationConfig": {"imageConfig": {"aspectRatio": "2:1"}},
        }}),
    )
    .await;
    assert_eq!(counted.status(), 400);
}

#[tokio::test]
async fn a_retired_model_is_not_found_unless_legacy_models_are_served() {
    let server = MockServer::start().await.unwrap();
    let legacy = support::legacy_server().await;
    let calls = [
        (
            "gemini-2.5-flash-image",
            "generateContent",
            "generateContent",
            json!({"contents": [{"parts": [{"text": "x"}]}]}),
        ),
        (
            "gemini-3-pro-image-preview",
            "streamGenerateContent",
            "StreamGenerateContent",
            json!({"contents": [{"parts": [{"text": "x"}]}]}),
        ),
        (
            "gemini-2.0-flash-exp-image-generation",
            "countTokens",
            "countTokens",
            json!({"contents": [{"parts": [{"text": "x"}]}]}),
        ),
        (
            "imagen-4.0-generate-001",
            "predict",
            "predict",
            json!({"instances": [{"prompt": "x"}]}),
        ),
    ];
    for (model, method, shown_as, body) in calls {
        let path = format!("/v1beta/models/{model}:{method}");
        let refused = post(&server, &path, &body).await;
        assert_eq!(refused.status(), 404, "{model}");
        let error: Value = refused.json().await.unwrap();
        assert_eq!(
            error,
            json!({"error": {
                "code": 404,
                "message": format!("models/{model} is not found for API version v1beta, or is not supported for {shown_as}. Call ListModels to see the list of available models and their supported methods."),
                "status": "NOT_FOUND",
            }}),
        );
        let served = post(&legacy, &path, &body).await;
        assert_eq!(served.status(), 200, "{model} with legacy models");
    }
    let get = |server: &MockServer| {
        with_key(server, Method::GET, "/v1beta/models/gemini-2.5-flash-image").send()
    };
    assert_eq!(get(&server).await.unwrap().status(), 404);
    assert_eq!(get(&legacy).await.unwrap().status(), 200);

    let listed = |server: &MockServer| {
        let request = with_key(server, Method::GET, "/v1beta/models?pageSize=1000").send();
        async move {
            let list: ListModelsResponse = request.await.unwrap().json().await.unwrap();
            list.models
                .into_iter()
                .filter_map(|m| m.name)
                .map(|name| name.trim_start_matches("models/").to_string())
                .collect::<Vec<_>>()
        }
    };
    let today = listed(&server).await;
    for id in &today {
        let info = models::find(id).unwrap();
        assert_ne!(info.lifecycle(), models::Lifecycle::Retired, "{id}");
    }
    for live in [
        models::GEMINI_3_1_FLASH_IMAGE,
        models::GEMINI_3_PRO_IMAGE,
        models::GEMINI_3_1_FLASH_LITE_IMAGE,
    ] {
        assert!(today.iter().any(|id| id == live), "{live} in {today:?}");
    }
    let all = listed(&legacy).await;
    assert_eq!(all.len(), models::MODELS.len());
    assert!(all.iter().any(|id| id == "imagen-4.0-generate-001"));
}

#[tokio::test]
async fn the_same_request_gives_the_same_bytes_and_prompts_differ() {
    let server = MockServer::start().await.unwrap();
    let fox = generate(&server, "gemini-3.1-flash-image", prompt("a fox")).await;
    let fox_again = generate(&server, "gemini-3.1-flash-image", prompt("a fox")).await;
    let owl = generate(&server, "gemini-3.1-flash-image", prompt("an owl")).await;
    assert_eq!(images(&fox), images(&fox_again));
    assert_eq!(fox.response_id, fox_again.response_id);
    assert_ne!(images(&fox)[0].1, images(&owl)[0].1);
    // A fresh server renders the same bytes: determinism does not depend on the cache.
    let other = MockServer::start().await.unwrap();
    assert_eq!(
        images(&generate(&other, "gemini-3.1-flash-image", prompt("a fox")).await),
        images(&fox)
    );
}

#[tokio::test]
async fn images_weigh_what_googles_do_unless_light_images_are_asked_for() {
    let server = MockServer::start().await.unwrap();
    let light = MockServer::start_with(Config {
        image_weight: ImageWeight::Light,
        ..Config::default()
    })
    .await
    .unwrap();
    let mut body = prompt("a lighthouse at dusk");
    body["generationConfig"] = json!({"responseModalities": ["IMAGE"],
        "imageConfig": {"aspectRatio": "1:1", "imageSize": "4K"}});
    let real = first_image(&server, "gemini-3-pro-image", body.clone()).await;
    let reference = ImageWeight::reference_bytes(4096, 4096, PictureFormat::Jpeg) as f64;
    let ratio = real.len() as f64 / reference;
    assert!(
        (0.75..=1.25).contains(&ratio),
        "{} bytes: {ratio:.2} of the reference",
        real.len()
    );
    let picture = image::load_from_memory(&real).expect("the 4K JPEG decodes");
    assert_eq!(picture.dimensions(), (4096, 4096));

    let flat = first_image(&light, "gemini-3-pro-image", body).await;
    assert!(flat.len() * 4 < real.len(), "light: {} bytes", flat.len());
    let flat_picture = image::load_from_memory(&flat).expect("the light JPEG decodes");
    assert_eq!(flat_picture.dimensions(), (4096, 4096));

    // Gemini 2.5 Flash Image's PNG: Google's 16:9 PNGs weigh 1.8–2.0 MB.
    let legacy = support::legacy_server().await;
    let mut body = prompt("a lighthouse at dusk");
    body["generationConfig"] =
        json!({"responseModalities": ["IMAGE"], "imageConfig": {"aspectRatio": "16:9"}});
    let png = first_image(&legacy, "gemini-2.5-flash-image", body).await;
    assert!(png.starts_with(b"\x89PNG"));
    assert!(
        (1_350_000..=2_500_000).contains(&png.len()),
        "{} bytes",
        png.len()
    );
}

fn mean_rgb(bytes: &[u8]) -> [f64; 3] {
    let picture = image::load_from_memory(bytes).unwrap().to_rgb8();
    let mut sums = [0f64; 3];
    for pixel in picture.pixels() {
        for c in 0..3 {
            sums[c] += f64::from(pixel[c]);
        }
    }
    let n = f64::from(picture.width() * picture.height());
    sums.map(|s| s / n)
}

fn edit_request(input: &[u8], instruction: &str) -> Value {
    let mime = match image::guess_format(input) {
        Ok(image::ImageFormat::Jpeg) => "image/jpeg",
        _ => "image/png",
    };
    let data = gemini_image_types::Base64Bytes::from(input.to_vec()).encode();
    json!({"contents": [{"role": "user", "parts": [
        {"inlineData": {"mimeType": mime, "data": data}},
        {"text": instruction}
    ]}], "generationConfig": {"responseModalities": ["IMAGE"]}})
}

#[tokio::test]
async fn edits_follow_the_instruction() {
    let server = MockServer::start().await.unwrap();
    let source = first_image(&server, "gemini-3.1-flash-image", prompt("a red bicycle")).await;
    let before = mean_rgb(&source);

    let blue = first_image(
        &server,
        "gemini-3.1-flash-image",
        edit_request(&source, "Make it blue"),
    )
    .await;
    let after = mean_rgb(&blue);
    assert!(
        after[2] - after[0] > before[2] - before[0] + 40.0 && after[2] > after[1] + 60.0,
        "blue: {before:?} -> {after:?}"
    );

    let grey = first_image(
        &server,
        "gemini-3.1-flash-image",
        edit_request(&source, "make it black and white"),
    )
    .await;
    // The live models answer JPEG: lossy, so "grey" and "the same" allow its rounding.
    let close = |a: u8, b: u8| a.abs_diff(b) <= 12;
    let picture = image::load_from_memory(&grey).unwrap().to_rgb8();
    assert!(
        picture
            .pixels()
            .all(|p| close(p[0], p[1]) && close(p[1], p[2])),
        "grayscale output"
    );

    let mirrored = first_image(
        &server,
        "gemini-3.1-flash-image",
        edit_request(&source, "mirror it"),
    )
    .await;
    let (a, b) = (
        image::load_from_memory(&source).unwrap().to_rgb8(),
        image::load_from_memory(&mirrored).unwrap().to_rgb8(),
    );
    let (w, y) = (a.width(), a.height() / 4);
    let same = (0..w)
        .filter(|&x| {
            let (p, q) = (a.get_pixel(x, y), b.get_pixel(w - 1 - x, y));
            (0..3).all(|c| close(p[c], q[c]))
        })
        .count();
    assert!(
        same as f64 > 0.9 * f64::from(w),
        "mirrored row matches: {same}/{w}"
    );
}

#[tokio::test]
async fn snake_case_and_url_safe_base64_are_read_like_google_does() {
    let server = MockServer::start().await.unwrap();
    let source = first_image(&server, "gemini-3.1-flash-image", prompt("a kite")).await;
    let url_safe = gemini_image_types::Base64Bytes::from(source)
        .encode()
        .replace('+', "-")
        .replace('/', "_");
    // What the official Python SDK sends: snake_case nested keys, URL-safe base64, float topK.
    let body = json!({"contents": [{"parts": [{"inlineData": {"data": url_safe, "mime_type": "image/png"}}, {"text": "Make it green"}], "role": "user"}],
        "generationConfig": {"responseModalities": ["IMAGE"], "topK": 40.0, "thinking_config": {"include_thoughts": false}}});
    let response = generate(&server, "gemini-3.1-flash-image", body).await;
    assert_eq!(images(&response).len(), 1);
}

#[tokio::test]
async fn multi_turn_edits_and_thought_signatures() {
    let server = MockServer::start().await.unwrap();
    let mut body = prompt("draw a red bicycle");
    body["generationConfig"] = json!({"responseModalities": ["TEXT", "IMAGE"], "thinkingConfig": {"includeThoughts": true}});
    let first = generate(&server, "gemini-3-pro-image", body.clone()).await;
    let parts = &first.candidates[0].content.as_ref().unwrap().parts;
    assert_eq!(
        parts[0].thought,
        Some(true),
        "a thinking model shows its thought first"
    );
    let image_part = parts.iter().find(|p| p.inline_data.is_some()).unwrap();
    assert!(
        image_part.thought_signature.is_some(),
        "the image carries a thought signature"
    );
    assert!(
        first
            .usage_metadata
            .as_ref()
            .unwrap()
            .thoughts_token_count
            .is_some()
    );

    let model_turn = serde_json::to_value(first.candidates[0].content.as_ref().unwrap()).unwrap();
    body["contents"].as_array_mut().unwrap().push(model_turn);
    body["contents"]
        .as_array_mut()
        .unwrap()
        .push(json!({"role": "user", "parts": [{"text": "make it blue"}]}));
    let second = generate(&server, "gemini-3-pro-image", body).await;
    let edited = images(&second).remove(0).1;
    let [r, _, b] = mean_rgb(&edited);
    assert!(
        b > r,
        "the second turn edits the first turn's image: r={r} b={b}"
    );
}

#[tokio::test]
async fn sse_frames_are_byte_exact() {
    let server = MockServer::start().await.unwrap();
    let mut body = prompt("a fox");
    body["generationConfig"] = json!({"responseModalities": ["TEXT", "IMAGE"]});
    let response = post(
        &server,
        "/v1beta/models/gemini-3.1-flash-image:streamGenerateContent?alt=sse",
        &body,
    )
    .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.unwrap();
    assert!(text.ends_with("\r\n\r\n") && !text.contains("[DONE]"));
    let frames: Vec<&str> = text.split_terminator("\r\n\r\n").collect();
    assert_eq!(frames.len(), 3, "text, image, text");
    let mut images_seen = 0;
    for (i, frame) in frames.iter().enumerate() {
        let json = frame.strip_prefix("data: ").expect("data: prefix");
        assert!(
            !json.contains('\n') && !json.contains('\r'),
            "one line per frame"
        );
        assert!(
            json.starts_with(r#"{"candidates": [{"content": {"parts": ["#),
            "Google's spacing: {}",
            &json[..60]
        );
        let chunk: GenerateContentResponse = serde_json::from_str(json).unwrap();
        images_seen += images(&chunk).len();
        let last = i + 1 == frames.len();
        assert_eq!(
            chunk.candidates[0].finish_reason.is_some(),
            last,
            "finishReason on the last chunk only"
        );
    }
    assert_eq!(images_seen, 1, "the image arrives whole in one chunk");
    // Byte for byte, with the image data elided: keys in Google's order, Google's spacing.
    let elided = frames
        .iter()
        .map(|frame| match frame.split_once(r#""data": ""#) {
            Some((before, after)) => {
                let (data, rest) = after.split_once('"').expect("data is a string");
                format!(r#"{before}"data": "<{} base64 chars>"{rest}"#, data.len())
            }
            None => frame.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!(elided);

    let array = post(
        &server,
        "/v1beta/models/gemini-3.1-flash-image:streamGenerateContent",
        &body,
    )
    .await;
    let chunks: Vec<GenerateContentResponse> = array.json().await.unwrap();
    assert_eq!(chunks.len(), 3);
}

#[tokio::test]
async fn models_count_tokens_and_imagen() {
    let server = MockServer::start().await.unwrap();
    let page: ListModelsResponse =
        read(with_key(&server, Method::GET, "/v1beta/models?pageSize=2")).await;
    assert_eq!(page.models.len(), 2);
    let token = page.next_page_token.expect("more pages");
    let mut names: Vec<String> = page.models.iter().filter_map(|m| m.name.clone()).collect();
    let rest: ListModelsResponse = read(with_key(
        &server,
        Method::GET,
        &format!("/v1/models?pageSize=100&pageToken={token}"),
    ))
    .await;
    assert!(rest.next_page_token.is_none());
    // page_size is an int32: one past its range is refused, as Google's parser refuses it.
    let too_big = with_key(&server, Method::GET, "/v1beta/models?pageSize=2147483648")
        .send()
        .await
        .unwrap();
    assert_eq!(too_big.status(), 400);
    assert!(too_big.text().await.unwrap().contains("TYPE_INT32"));
    let one = with_key(
        &server,
        Method::GET,
        "/v1beta/models/gemini-3.1-flash-image",
    )
    .send()
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    // As the reference listing shows it: proto field order, `1` rather than `1.0`.
    insta::assert_snapshot!(one);
    names.extend(rest.models.iter().filter_map(|m| m.name.clone()));
    for model in [
        "gemini-3.1-flash-image",
        "gemini-3-pro-image",
        "gemini-3.1-flash-lite-image",
        "gemini-3.5-flash",
    ] {
        assert!(names.contains(&format!("models/{model}")), "{model} listed");
    }
    for retired in ["gemini-2.5-flash-image", "imagen-4.0-generate-001"] {
        assert!(
            !names.contains(&format!("models/{retired}")),
            "{retired} listed"
        );
    }
    let one = with_key(&server, Method::GET, "/v1beta/models/gemini-3-pro-image")
        .send()
        .await
        .unwrap();
    assert_eq!(one.status(), 200);

    let count: CountTokensResponse = post(
        &server,
        "/v1beta/models/gemini-3.1-flash-image:countTokens",
        &prompt("hello there, mock"),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(count.total_tokens, Some(5));

    // Imagen is retired: served with the legacy models only.
    let server = support::legacy_server().await;
    let predict = post(&server, "/v1beta/models/imagen-4.0-generate-001:predict", &json!({
        "instances": [{"prompt": "a robot"}],
        "parameters": {"sampleCount": 2, "aspectRatio": "16:9", "outputOptions": {"mimeType": "image/jpeg"}}
    })).await;
    assert_eq!(predict.status(), 200);
    let predict: PredictResponse = predict.json().await.unwrap();
    assert_eq!(predict.predictions.len(), 2);
    let bytes: Vec<Vec<u8>> = predict
        .predictions
        .iter()
        .map(|p| p.bytes_base64_encoded.clone().unwrap().to_vec())
        .collect();
    assert_ne!(bytes[0], bytes[1], "distinct images");
    let picture = image::load_from_memory_with_format(&bytes[0], image::ImageFormat::Jpeg).unwrap();
    assert_eq!(picture.dimensions(), (1408, 768));

    // With safety attributes: one per image, plus the prompt's own entry at the end.
    let with_safety: PredictResponse = post(
        &server,
        "/v1beta/models/imagen-3.0-generate-002:predict",
        &json!({
            "instances": [{"prompt": "a robot"}],
            "parameters": {"sampleCount": 1, "includeSafetyAttributes": true}
        }),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(with_safety.predictions.len(), 2);
    for prediction in &with_safety.predictions {
        let attributes = prediction
            .safety_attributes
            .as_ref()
            .expect("safetyAttributes");
        assert_eq!(attributes.categories.len(), 1);
        assert!(attributes.scores.iter().all(|s| (0.0..=1.0).contains(s)));
    }
    assert!(with_safety.predictions[0].bytes_base64_encoded.is_some());
    let prompt_entry = &with_safety.predictions[1];
    assert_eq!(
        prompt_entry.content_type.as_deref(),
        Some("Positive Prompt")
    );
    assert!(prompt_entry.bytes_base64_encoded.is_none());
}

/// Error bodies, snapshotted exactly as sent.
#[tokio::test]
async fn error_bodies_are_googles() {
    let server = MockServer::start_with(Config {
        api_keys: vec![KEY.to_string()],
        ..Config::default()
    })
    .await
    .unwrap();
    let legacy = MockServer::start_with(Config {
        api_keys: vec![KEY.to_string()],
        legacy_models: true,
        ..Config::default()
    })
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.uri());
    let generate_path = "/v1beta/models/gemini-3.1-flash-image:generateContent";
    let ok_body = prompt("a fox");
    let cases: Vec<(&str, reqwest::RequestBuilder)> = vec![
        ("wrong_key", client.post(url(generate_path)).header("x-goog-api-key", "wrong").json(&ok_body)),
        ("no_key", client.post(url(generate_path)).json(&ok_body)),
        ("unknown_model", with_key(&server, Method::POST, "/v1beta/models/gemini-0-nope:generateContent").json(&ok_body)),
        ("unknown_field", with_key(&server, Method::POST, generate_path).json(&json!({"contents": [], "generationConfig": {"imageConfig": {"outputMimeType": "image/png"}}}))),
        ("unknown_top_level_field", with_key(&server, Method::POST, generate_path).json(&json!({"contents": [], "fooBar": 1}))),
        ("bad_enum", with_key(&server, Method::POST, generate_path).json(&json!({"contents": [], "generationConfig": {"responseModalities": ["ZZZ"]}}))),
        ("wrong_type", with_key(&server, Method::POST, generate_path).json(&json!({"contents": "hello"}))),
        ("bad_base64", with_key(&server, Method::POST, generate_path).json(&json!({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "ab!d"}}]}]}))),
        ("missing_contents", with_key(&server, Method::POST, generate_path).json(&json!({}))),
        ("missing_blob_data", with_key(&server, Method::POST, generate_path).json(&json!({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png"}}]}]}))),
        ("malformed_json", with_key(&server, Method::POST, generate_path).body("{\"contents\": [")),
        ("bad_image", with_key(&server, Method::POST, generate_path).json(&json!({"contents": [{"parts": [{"inlineData": {"mimeType": "image/png", "data": "aGVsbG8="}}, {"text": "edit"}]}]}))),
        ("retired_model", with_key(&server, Method::POST, "/v1beta/models/gemini-2.5-flash-image:generateContent").json(&ok_body)),
        ("image_only_on_2_0", with_key(&legacy, Method::POST, "/v1beta/models/gemini-2.0-flash-exp-image-generation:generateContent").json(&json!({"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"responseModalities": ["IMAGE"]}}))),
        ("system_instruction_on_image_model", with_key(&server, Method::POST, generate_path).json(&json!({"contents": [{"parts": [{"text": "x"}]}], "systemInstruction": {"parts": [{"text": "be nice"}]}}))),
        ("image_from_text_model", with_key(&server, Method::POST, "/v1beta/models/gemini-3.5-flash:generateContent").json(&json!({"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}}))),
        ("predict_on_gemini", with_key(&server, Method::POST, "/v1beta/models/gemini-3.1-flash-image:predict").json(&json!({"instances": [{"prompt": "x"}]}))),
        ("six_stop_sequences", with_key(&server, Method::POST, generate_path).json(&json!({"contents": [{"parts": [{"text": "x"}]}], "generationConfig": {"stopSequences": ["a", "b", "c", "d", "e", "f"]}}))),
        ("unsupported_mime_type", with_key(&server, Method::POST, generate_path).json(&json!({"contents": [{"parts": [{"inlineData": {"mimeType": "image/jpg", "data": TINY_PNG}}, {"text": "edit"}]}]}))),
        ("two_data_fields_in_a_part", with_key(&server, Method::POST, generate_path).json(&json!({"contents": [{"parts": [{"text": "x", "inline_data": {"mimeType": "image/png", "data": TINY_PNG}}]}]}))),
        ("parts_without_data", with_key(&server, Method::POST, generate_path).json(&json!({"contents": [{"parts": [{"thought": true}]}, {"role": "model", "parts": [{"text": "ok"}]}, {"parts": [{"text": "x"}, {}]}]}))),
        ("turn_without_parts", with_key(&server, Method::POST, generate_path).json(&json!({"contents": [{"parts": [{"text": "x"}]}, {"role": "model", "parts": []}, {"role": "user"}]}))),
        ("bad_image_in_system_instruction", with_key(&server, Method::POST, "/v1beta/models/gemini-3.5-flash:generateContent").json(&json!({"contents": [{"parts": [{"text": "x"}]}], "systemInstruction": {"parts": [{"inlineData": {"mimeType": "image/png", "data": "aGVsbG8="}}]}}))),
        ("bad_image_in_function_response", with_key(&server, Method::POST, generate_path).json(&json!({"contents": [{"parts": [{"functionResponse": {"name": "f", "response": {}, "parts": [{"inlineData": {"mimeType": "image/png", "data": "aGVsbG8="}}]}}]}]}))),
        ("bad_image_counted", with_key(&server, Method::POST, "/v1beta/models/gemini-3.5-flash:countTokens").json(&json!({"contents": [{"parts": [{"inlineData": {"mimeType": "image/webp", "data": "aGVsbG8="}}]}]}))),
        ("payload_too_large", with_key(&server, Method::POST, generate_path).body(vec![b' '; 21 * 1024 * 1024])),
    ];
    for (name, request) in cases {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        assert_eq!(
            response.headers()["content-type"],
            "application/json; charset=UTF-8",
            "{name}"
        );
        let body = response.text().await.unwrap();
        let parsed: gemini_image_types::types::ErrorResponse =
            serde_json::from_str(&body).expect("Google's error shape");
        assert_eq!(
            parsed.error.as_ref().and_then(|e| e.code),
            Some(i32::from(status)),
            "{name}"
        );
        assert!((400..500).contains(&status), "{name}: {status}");
        insta::assert_snapshot!(name, format!("HTTP {status}\n{body}"));
    }
}

/// proto3 JSON: a field given as null is a field not given. Real clients send it (gemini-rust
/// 2.1.0 starts every upload without a display name with `{"file":{"displayName":null}}`).
#[tokio::test]
async fn a_null_field_is_an_absent_one_but_a_null_in_a_list_is_refused() {
    let server = MockServer::start().await.unwrap();
    let generate_path = "/v1beta/models/gemini-3.1-flash-image:generateContent";
    // An image model refuses a system instruction: a null one is none.
    let answer = generate(
        &server,
        "gemini-3.1-flash-image",
        json!({"contents": [{"role": null, "parts": [{"text": "a fox"}]}],
            "systemInstruction": null,
            "generationConfig": {"temperature": null, "imageConfig": null}}),
    )
    .await;
    assert_eq!(images(&answer).len(), 1);

    let start = with_key(&server, Method::POST, "/upload/v1beta/files")
        .header("X-Goog-Upload-Protocol", "resumable")
        .header("X-Goog-Upload-Command", "start")
        .header("X-Goog-Upload-Header-Content-Length", "3")
        .header("X-Goog-Upload-Header-Content-Type", "text/plain")
        .json(&json!({"file": {"displayName": null}}))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), 200);
    assert!(start.headers().contains_key("x-goog-upload-url"));

    // A required field given as null is refused exactly as a missing one.
    let refusal = |body: Value| {
        let server = &server;
        async move {
            let response = post(server, generate_path, &body).await;
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    let missing = refusal(json!({})).await;
    assert_eq!(missing.0, 400, "{}", missing.1);
    assert!(
        missing.1.contains("contents is not specified"),
        "{}",
        missing.1
    );
    assert_eq!(refusal(json!({"contents": null})).await, missing);
    // A list cannot hold an unset element.
    let (status, body) = refusal(json!({"contents": [null]})).await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("Invalid value at 'contents[0]' (type.googleapis.com/google.ai.generativelanguage.v1beta.Content), null"),
        "{body}"
    );
}

#[tokio::test]
async fn canned_images_are_served_byte_for_byte() {
    let dir = std::env::temp_dir().join(format!("gemini-image-mock-canned-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    for (name, format, colour) in [
        ("a.png", image::ImageFormat::Png, [200u8, 30, 30]),
        ("b.jpg", image::ImageFormat::Jpeg, [30u8, 30, 200]),
    ] {
        let picture = image::RgbImage::from_pixel(64, 48, image::Rgb(colour));
        let mut bytes = std::io::Cursor::new(Vec::new());
        picture.write_to(&mut bytes, format).unwrap();
        std::fs::write(dir.join(name), bytes.get_ref()).unwrap();
        files.push((format.to_mime_type().to_string(), bytes.into_inner()));
    }
    std::fs::write(dir.join("readme.txt"), "not an image").unwrap();
    let canned = gemini_image_mock::CannedImages::from_dir(&dir).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(canned.len(), 2, "the text file is skipped");
    // Imagen (below) is retired: served with the legacy models.
    let server = MockServer::start_with(Config {
        images: Some(canned),
        legacy_models: true,
        ..Config::default()
    })
    .await
    .unwrap();

    let mut served = Vec::new();
    for n in 0..12 {
        let body = prompt(&format!("picture number {n}"));
        let first = images(&generate(&server, "gemini-3.1-flash-image", body.clone()).await);
        let again = images(&generate(&server, "gemini-3.1-flash-image", body).await);
        assert_eq!(first, again, "the choice is deterministic");
        assert!(
            files.contains(&first[0]),
            "served as the file is, with its sniffed type"
        );
        served.push(first[0].clone());
    }
    assert!(
        files.iter().all(|f| served.contains(f)),
        "different requests pick different files"
    );

    let predicted: PredictResponse = post(
        &server,
        "/v1beta/models/imagen-4.0-generate-001:predict",
        &json!({"instances": [{"prompt": "a lighthouse"}], "parameters": {"sampleCount": 3}}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(predicted.predictions.len(), 3);
    for prediction in &predicted.predictions {
        let served = (
            prediction.mime_type.clone().unwrap(),
            prediction.bytes_base64_encoded.clone().unwrap().to_vec(),
        );
        assert!(files.contains(&served));
    }
}

#[test]
fn a_directory_without_images_is_refused() {
    let dir = std::env::temp_dir().join(format!("gemini-image-mock-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.md"), "# nothing here").unwrap();
    let error = gemini_image_mock::CannedImages::from_dir(&dir).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(error.to_string().contains("holds no PNG, JPEG"), "{error}");
}

#[tokio::test]
async fn inline_data_that_is_not_an_image_is_read_not_decoded() {
    let server = MockServer::start().await.unwrap();
    // A text document inline, as Gemini accepts PDFs, audio and text: not "Unable to process
    // input image".
    let body = json!({"contents": [{"parts": [
        {"inlineData": {"mimeType": "text/plain", "data": "aGVsbG8gd29ybGQ="}},
        {"text": "draw what this note says"}
    ]}]});
    let response = post(
        &server,
        "/v1beta/models/gemini-3.1-flash-image:generateContent",
        &body,
    )
    .await;
    assert_eq!(response.status(), 200);
    // The same bytes called an image are refused.
    let mut as_image = body.clone();
    as_image["contents"][0]["parts"][0]["inlineData"]["mimeType"] = json!("image/png");
    let refused = post(
        &server,
        "/v1beta/models/gemini-3.1-flash-image:generateContent",
        &as_image,
    )
    .await;
    assert_eq!(refused.status(), 400);
}

/// Google's order of checks, which every API route gets from the gate: a URL the API does not
/// map is a 404 whatever the key; then no key is a 403, a wrong one a 400; the key may come in
/// the header or `?key=`. The journal names the model of a call refused for its key.
#[tokio::test]
async fn the_url_is_checked_before_the_key() {
    let server = MockServer::start_with(Config {
        api_keys: vec![KEY.to_string()],
        ..Config::default()
    })
    .await
    .unwrap();
    let client = reqwest::Client::new();
    let url = |path: &str| format!("{}{path}", server.uri());
    let status = |request: reqwest::RequestBuilder| async move {
        request.send().await.unwrap().status().as_u16()
    };
    let model = "/v1beta/models/gemini-3.5-flash";
    let cases = [
        ("unknown version", client.get(url("/v9/models")), 404),
        (
            "unknown version, a call",
            client.post(url("/v9/models/gemini-3.5-flash:countTokens")),
            404,
        ),
        ("a POST without a method", client.post(url(model)), 404),
        (
            "a method the mock lacks",
            client
                .post(url(&format!("{model}:nope")))
                .query(&[("key", KEY)]),
            404,
        ),
        (
            "a method not allowed",
            client.delete(url("/v1beta/models")),
            404,
        ),
        ("no key", client.get(url("/v1beta/models")), 403),
        (
            "no key, a call",
            client.post(url(&format!("{model}:countTokens"))),
            403,
        ),
        (
            "a wrong key",
            client.get(url(model)).header("x-goog-api-key", "wrong"),
            400,
        ),
        (
            "the key in the query",
            client.get(url(model)).query(&[("key", KEY)]),
            200,
        ),
        (
            "the key in the header",
            client.get(url("/v1/models")).header("x-goog-api-key", KEY),
            200,
        ),
    ];
    for (name, request, expected) in cases {
        assert_eq!(status(request).await, expected, "{name}");
    }
    let refused = server
        .received_requests()
        .into_iter()
        .find(|e| e.path == format!("{model}:countTokens"))
        .map(|e| (e.status, e.model));
    assert_eq!(refused, Some((403, Some("gemini-3.5-flash".to_string()))));
}
