//! Where the examples send their requests: to Google when `GEMINI_API_KEY` (or `GOOGLE_API_KEY`)
//! is set, otherwise to a `gemini-image-mock` started in-process — no key, no network, no cost.
#![allow(dead_code)] // each example uses a different part

use std::path::PathBuf;

use gemini_image::Client;
use gemini_image_mock::MockServer;

/// A client, and the mock it talks to when there is no key (kept alive as long as the client).
pub struct Target {
    pub client: Client,
    pub mock: Option<MockServer>,
}

pub type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Google with a key, the built-in mock without one.
pub async fn connect() -> Result<Target> {
    connect_serving(gemini_image_mock::Config::default()).await
}

/// As [`connect`], with a mock that also serves the models Google has shut down.
pub async fn connect_legacy() -> Result<Target> {
    connect_serving(gemini_image_mock::Config {
        legacy_models: true,
        ..gemini_image_mock::Config::default()
    })
    .await
}

async fn connect_serving(config: gemini_image_mock::Config) -> Result<Target> {
    let has_key = ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
        .iter()
        .any(|name| std::env::var(name).is_ok_and(|v| !v.is_empty()));
    if has_key {
        eprintln!("using Google's API (GEMINI_API_KEY is set)");
        return Ok(Target {
            client: Client::from_env()?,
            mock: None,
        });
    }
    let mock = MockServer::start_with(config).await?;
    eprintln!(
        "no GEMINI_API_KEY: using a gemini-image-mock at {} (offline, free)",
        mock.uri()
    );
    let client = Client::builder()
        .api_key("no-key-needed")
        .base_url(mock.uri())
        .build()?;
    Ok(Target {
        client,
        mock: Some(mock),
    })
}

/// The image model: `GEMINI_IMAGE_MODEL`, else `default`.
pub fn model(default: &str) -> String {
    std::env::var("GEMINI_IMAGE_MODEL").unwrap_or_else(|_| default.to_string())
}

/// Where a picture named `name` goes: `./gemini-out/{name}` (the extension comes from the
/// image's type).
pub fn output(name: &str) -> Result<PathBuf> {
    let dir = PathBuf::from("gemini-out");
    std::fs::create_dir_all(&dir)?;
    Ok(dir.join(name))
}

/// The command line after the program name, or `default` when there is none.
pub fn prompt_or(default: &str) -> String {
    let words: Vec<String> = std::env::args().skip(1).collect();
    if words.is_empty() {
        default.to_string()
    } else {
        words.join(" ")
    }
}
