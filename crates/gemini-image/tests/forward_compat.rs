//! Google adds enum values, part kinds and fields without notice. A response carrying any of
//! them must still parse, with everything this crate knows intact.

use gemini_image::OpenEnum;
use gemini_image::types::{BlockReason, ContentModality, FinishReason, GenerateContentResponse};

const NEWER_RESPONSE: &str = r#"{
  "candidates": [
    {
      "content": {
        "parts": [
          {"text": "Here you go:"},
          {"hologram": {"uri": "holo://fox", "depth": 3}},
          {"inlineData": {"mimeType": "image/png", "data": "iVBORw0KGgo=", "colorProfile": "P3"}, "thoughtSignature": "c2ln"}
        ],
        "role": "model",
        "mood": "cheerful"
      },
      "finishReason": "IMAGE_TOO_BEAUTIFUL",
      "index": 0,
      "sparkle": true
    },
    {"finishReason": "NO_IMAGE", "index": 1},
    {"content": {}, "finishReason": "IMAGE_SAFETY", "index": 2}
  ],
  "promptFeedback": {"blockReason": "BRAND_NEW_REASON"},
  "usageMetadata": {
    "promptTokenCount": 5,
    "candidatesTokensDetails": [{"modality": "HOLOGRAM", "tokenCount": 7}, {"modality": "IMAGE", "tokenCount": 1290}],
    "serviceTier": "standard",
    "quantumTokenCount": 3
  },
  "modelVersion": "gemini-9-ultra-image",
  "responseId": "abc",
  "telemetry": {"region": "moon"}
}"#;

#[test]
fn a_response_from_a_newer_api_parses_and_keeps_what_is_known() {
    let response: GenerateContentResponse =
        serde_json::from_str(NEWER_RESPONSE).expect("a newer response must parse");

    let first = &response.candidates[0];
    assert_eq!(
        first.finish_reason,
        Some(OpenEnum::Unknown("IMAGE_TOO_BEAUTIFUL".into()))
    );
    let parts = &first.content.as_ref().expect("content").parts;
    assert_eq!(
        parts.len(),
        3,
        "the unknown part kind is kept as a part with no known field"
    );
    assert_eq!(parts[0].text.as_deref(), Some("Here you go:"));
    assert_eq!(
        parts[1],
        Default::default(),
        "an unknown part kind parses as an empty part"
    );
    let image = parts[2]
        .inline_data
        .as_ref()
        .expect("the image survives its unknown sibling field");
    assert_eq!(image.mime_type.as_deref(), Some("image/png"));
    assert_eq!(image.data.as_deref(), Some(&b"\x89PNG\r\n\x1a\n"[..]));
    assert_eq!(parts[2].thought_signature.as_deref(), Some(&b"sig"[..]));

    let second = &response.candidates[1];
    assert!(
        second.content.is_none(),
        "a candidate without content parses"
    );
    assert_eq!(
        second.finish_reason.as_ref().and_then(OpenEnum::known),
        Some(&FinishReason::NoImage)
    );
    assert_eq!(
        response.candidates[2].finish_reason,
        Some(FinishReason::ImageSafety.into())
    );

    let feedback = response.prompt_feedback.as_ref().expect("prompt feedback");
    assert_eq!(
        feedback.block_reason.as_ref().and_then(OpenEnum::unknown),
        Some("BRAND_NEW_REASON")
    );
    assert_ne!(feedback.block_reason, Some(BlockReason::Safety.into()));

    let usage = response.usage_metadata.as_ref().expect("usage");
    assert_eq!(usage.prompt_token_count, Some(5));
    assert_eq!(
        usage.candidates_tokens_details[0].modality,
        Some(OpenEnum::Unknown("HOLOGRAM".into()))
    );
    assert_eq!(
        usage.candidates_tokens_details[1].modality,
        Some(ContentModality::Image.into())
    );
    assert_eq!(usage.service_tier.as_deref(), Some("standard"));
}

#[test]
fn unknown_enum_values_are_sent_back_exactly_as_received() {
    let response: GenerateContentResponse = serde_json::from_str(NEWER_RESPONSE).unwrap();
    let json = serde_json::to_value(&response).unwrap();
    assert_eq!(json["candidates"][0]["finishReason"], "IMAGE_TOO_BEAUTIFUL");
    assert_eq!(json["promptFeedback"]["blockReason"], "BRAND_NEW_REASON");
    assert_eq!(
        json["candidates"][0]["content"]["parts"][2]["inlineData"]["data"],
        "iVBORw0KGgo="
    );
}

#[test]
fn a_wrong_type_is_still_an_error_that_names_the_problem() {
    let err =
        serde_json::from_str::<GenerateContentResponse>(r#"{"candidates": [{"index": "zero"}]}"#)
            .unwrap_err();
    assert!(err.to_string().contains("invalid type"), "{err}");
    let err = serde_json::from_str::<GenerateContentResponse>(
        r#"{"candidates": [{"content": {"parts": [{"inlineData": {"data": "no*pe"}}]}}]}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("invalid base64: unexpected character '*' at offset 2"),
        "{err}"
    );
}
