//! The JSON the request builders produce, snapshotted: what goes on the wire is reviewed, not
//! assumed.

use gemini_image::types::{
    AspectRatio, Content, HarmBlockThreshold, HarmCategory, ImageSize, Modality, ThinkingLevel,
};
use gemini_image::{RequestBuilder, image_part};

fn json(request: impl serde::Serialize) -> String {
    serde_json::to_string_pretty(&request).unwrap()
}

/// A 1×1 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde\
\0\0\0\x0cIDATx\x9cc\xf8\xcf\xc0\0\0\x03\x01\x01\0\xc9\xfe\x92\xef\0\0\0\0IEND\xaeB`\x82";

#[test]
fn generate_image() {
    insta::assert_snapshot!(json(RequestBuilder::image().text("a red bicycle").build()));
}

#[test]
fn edit_image() {
    let request = RequestBuilder::image()
        .parts(image_part(PNG).unwrap())
        .text("make it blue")
        .build();
    insta::assert_snapshot!(json(request));
}

#[test]
fn every_setting() {
    let request = RequestBuilder::new()
        .system("You draw in the style of woodcut prints.")
        .text("a lighthouse")
        .text("at night")
        .modalities([Modality::Image])
        .aspect_ratio(AspectRatio::X169)
        .image_size(ImageSize::X4k)
        .candidate_count(2)
        .seed(42)
        .temperature(0.25)
        .top_p(0.9)
        .max_output_tokens(8192)
        .safety(
            HarmCategory::HarmCategoryDangerousContent,
            HarmBlockThreshold::BlockLowAndAbove,
        )
        .safety(
            HarmCategory::HarmCategoryHarassment,
            HarmBlockThreshold::BlockNone,
        )
        // A later setting for the same category replaces the earlier one.
        .safety(
            HarmCategory::HarmCategoryDangerousContent,
            HarmBlockThreshold::BlockOnlyHigh,
        )
        .google_search()
        .thinking_level(ThinkingLevel::High)
        .include_thoughts(true)
        .thinking_budget(1024)
        .build();
    insta::assert_snapshot!(json(request));
}

#[test]
fn a_conversation_kept_by_hand() {
    let request = RequestBuilder::image()
        .text("draw a red bicycle")
        .turn(Content {
            parts: vec!["Here it is.".into()],
            role: Some("model".into()),
        })
        .text("make it blue")
        .build();
    insta::assert_snapshot!(json(request));
}

#[tokio::test]
async fn the_builders_requests_are_ones_the_mock_accepts() {
    let server = gemini_image_mock::MockServer::start().await.unwrap();
    let client = gemini_image::Client::builder()
        .api_key("k")
        .base_url(server.uri())
        .build()
        .unwrap();
    // No system instruction: image models refuse one ("Developer instruction is not enabled").
    let request = RequestBuilder::image()
        .text("a lighthouse")
        .aspect_ratio(AspectRatio::X169)
        .image_size(ImageSize::X2k)
        .seed(42)
        .temperature(0.25)
        .safety(
            HarmCategory::HarmCategoryHarassment,
            HarmBlockThreshold::BlockNone,
        )
        .thinking_level(ThinkingLevel::High)
        .include_thoughts(true)
        .build();
    let response = client
        .generate_content("gemini-3-pro-image", &request)
        .await
        .unwrap();
    use gemini_image::ResponseExt;
    let image = &response.images()[0];
    let picture = image::load_from_memory(&image.bytes).unwrap();
    // 2K at 16:9, as the size table says.
    assert_eq!((picture.width(), picture.height()), (2752, 1536));
}
