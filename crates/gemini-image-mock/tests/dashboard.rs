//! The dashboard at `/__mock/`, over loopback HTTP: what it shows, that it escapes what
//! requests carried, its thumbnails, its forms, and its bounds.

mod support;

use gemini_image_mock::MockServer;
use serde_json::json;

const MODEL: &str = "gemini-3.1-flash-image";

/// A `generateContent` of `prompt`, with `image` (PNG bytes) as input when given.
async fn generate(server: &MockServer, prompt: &str, image: Option<&[u8]>) -> reqwest::Response {
    let mut parts = vec![json!({"text": prompt})];
    if let Some(image) = image {
        let data = gemini_image_types::Base64Bytes::new(image.to_vec()).encode();
        parts.push(json!({"inlineData": {"mimeType": "image/png", "data": data}}));
    }
    reqwest::Client::new()
        .post(format!(
            "{}/v1beta/models/{MODEL}:generateContent",
            server.uri()
        ))
        .header("x-goog-api-key", "secret-key-123")
        .json(&json!({"contents": [{"parts": parts}]}))
        .send()
        .await
        .unwrap()
}

async fn page(server: &MockServer, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("{}{path}", server.uri()))
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

async fn post_form(server: &MockServer, path: &str, form: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}{path}", server.uri()))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.to_string())
        .send()
        .await
        .unwrap()
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = image::RgbImage::from_pixel(width, height, image::Rgb([10, 120, 240]));
    let mut out = std::io::Cursor::new(Vec::new());
    picture.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

/// The thumbnail hashes a page links to.
fn thumbnail_links(html: &str) -> Vec<String> {
    html.match_indices("/__mock/thumbnails/")
        .map(|(at, mark)| html[at + mark.len()..at + mark.len() + 16].to_string())
        .collect()
}

#[tokio::test]
async fn the_journal_is_shown_with_a_prompt_escaped_and_no_key() {
    let server = MockServer::start().await.unwrap();
    let prompt = "<script>alert('x')</script> a lighthouse";
    assert_eq!(generate(&server, prompt, None).await.status(), 200);
    let (status, home) = page(&server, "/__mock/").await;
    assert_eq!(status, 200);
    assert!(home.contains(MODEL));
    assert!(home.contains("/__mock/requests/1"));
    let (status, detail) = page(&server, "/__mock/requests/1").await;
    assert_eq!(status, 200);
    assert!(
        detail.contains("&lt;script&gt;alert"),
        "the prompt is shown, escaped"
    );
    assert!(!detail.contains("<script>alert"), "never as markup");
    for html in [&home, &detail] {
        assert!(!html.contains("secret-key-123"), "the key is never shown");
    }
    assert!(
        detail.contains("$GEMINI_API_KEY"),
        "curl names the variable"
    );
    assert!(detail.contains("Gemini API"), "the service reached");
    assert!(detail.contains(" ms"), "the latency");
    let entry = &server.received_requests()[0];
    assert!(entry.latency_ms > 0.0);
    let answer = entry.answer.as_ref().unwrap();
    assert_eq!(answer.images.len(), 1);
    assert_eq!(answer.finish_reasons, ["STOP"]);
}

#[tokio::test]
async fn thumbnails_of_images_in_and_out_decode_as_small_images() {
    let server = MockServer::start().await.unwrap();
    let input = png(600, 300);
    assert_eq!(
        generate(&server, "make it red", Some(&input))
            .await
            .status(),
        200
    );
    // Thumbnails are made off the request's path: wait for both.
    let mut links = Vec::new();
    for _ in 0..100 {
        let (_, detail) = page(&server, "/__mock/requests/1").await;
        links = thumbnail_links(&detail);
        links.dedup();
        let mut served = 0;
        for hash in &links {
            let response = reqwest::get(format!("{}/__mock/thumbnails/{hash}", server.uri()))
                .await
                .unwrap();
            served += usize::from(response.status() == 200);
        }
        if links.len() == 2 && served == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(links.len(), 2, "one image in, one out: {links:?}");
    for hash in &links {
        let response = reqwest::get(format!("{}/__mock/thumbnails/{hash}", server.uri()))
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(support::content_type(&response), "image/jpeg");
        let bytes = response.bytes().await.unwrap();
        let thumbnail = image::load_from_memory(&bytes).unwrap();
        assert!(thumbnail.width() <= 256 && thumbnail.height() <= 256);
        assert!(thumbnail.width() > 0);
    }
    let (status, _) = page(&server, "/__mock/thumbnails/0000000000000000").await;
    assert_eq!(status, 404);
    let (status, _) = page(&server, "/__mock/thumbnails/not-a-hash").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_scenario_queued_and_removed_through_the_forms_changes_the_next_answers() {
    let server = MockServer::start().await.unwrap();
    let queued = post_form(
        &server,
        "/__mock/dashboard/scenarios",
        "scenario=overloaded&times=2&model=&testId=",
    )
    .await;
    // Followed the 303 back to the dashboard, which lists it.
    assert_eq!(queued.status(), 200);
    assert!(queued.url().path().starts_with("/__mock/"));
    assert!(
        queued
            .text()
            .await
            .unwrap()
            .contains("<code>overloaded</code>")
    );
    assert_eq!(generate(&server, "a", None).await.status(), 503);
    let removed = post_form(
        &server,
        "/__mock/dashboard/scenarios/remove",
        "index=0&scenario=overloaded",
    )
    .await;
    assert_eq!(removed.status(), 200);
    assert_eq!(
        generate(&server, "a", None).await.status(),
        200,
        "the second use was removed"
    );

    // A removal that no longer matches the queue leaves it alone.
    post_form(&server, "/__mock/dashboard/scenarios", "scenario=internal").await;
    post_form(
        &server,
        "/__mock/dashboard/scenarios/remove",
        "index=0&scenario=overloaded",
    )
    .await;
    assert_eq!(generate(&server, "a", None).await.status(), 500);

    post_form(&server, "/__mock/dashboard/scenarios", "scenario=internal").await;
    post_form(&server, "/__mock/dashboard/scenarios/clear", "").await;
    assert_eq!(generate(&server, "a", None).await.status(), 200);

    let wrong = post_form(
        &server,
        "/__mock/dashboard/scenarios",
        "scenario=%3Cmeltdown%3E",
    )
    .await;
    assert_eq!(wrong.status(), 400);
    let text = wrong.text().await.unwrap();
    assert!(text.contains("&lt;meltdown&gt;") && !text.contains("<meltdown>"));
    let wrong = post_form(
        &server,
        "/__mock/dashboard/scenarios",
        "scenario=overloaded&times=0",
    )
    .await;
    assert_eq!(wrong.status(), 400);
    let wrong = post_form(&server, "/__mock/dashboard/scenarios/remove", "index=x").await;
    assert_eq!(wrong.status(), 400);
}

#[tokio::test]
async fn the_page_shows_the_newest_rows_only_and_unknown_requests_are_404() {
    let server = MockServer::start().await.unwrap();
    let client = reqwest::Client::new();
    for _ in 0..110 {
        let url = format!("{}/v1beta/models", server.uri());
        client
            .get(url)
            .header("x-goog-api-key", "k")
            .send()
            .await
            .unwrap();
    }
    let (_, home) = page(&server, "/__mock/").await;
    assert!(home.contains("100 newest of 110 kept"));
    assert!(home.contains("/__mock/requests/110\""));
    assert!(
        !home.contains("/__mock/requests/10\""),
        "older rows are left to the JSON"
    );
    let (status, _) = page(&server, "/__mock/requests/99999").await;
    assert_eq!(status, 404);
    let (status, _) = page(&server, "/__mock/requests/%3Cx%3E").await;
    assert_eq!(status, 404);
    let json: serde_json::Value = client
        .get(format!("{}/__mock/requests/3", server.uri()))
        .header("accept", "application/json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["id"], 3);
    let (_, refreshing) = page(&server, "/__mock/?refresh=0").await;
    assert!(refreshing.contains(r#"http-equiv="refresh" content="1""#));
    let (status, _) = page(&server, "/__mock").await;
    assert_eq!(status, 200, "redirected to /__mock/");
}
