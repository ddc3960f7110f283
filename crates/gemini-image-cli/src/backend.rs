//! Where requests go: Google with a key, another server with `--base-url`, or the mock built into
//! this command (with `--mock`, or when there is neither key nor base URL).

use gemini_image::Client;
use gemini_image_mock::MockServer;

use crate::args::BackendArgs;
use crate::progress::Progress;

/// A client, and the in-process mock it talks to, if any (kept alive with it).
pub struct Backend {
    pub client: Client,
    /// `mock`, `google` or the base URL: for `--json` output.
    pub name: String,
    mock: Option<MockServer>,
}

fn key_from_env() -> Option<String> {
    ["GEMINI_API_KEY", "GOOGLE_API_KEY"]
        .iter()
        .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()))
}

impl Backend {
    /// Whether requests go to the mock built into this command (which ends with it).
    pub fn is_built_in_mock(&self) -> bool {
        self.mock.is_some()
    }

    /// Picks the backend and says which one when it is the mock.
    pub async fn connect(args: &BackendArgs, progress: &Progress) -> Result<Backend, String> {
        let key = key_from_env();
        let hook = progress.clone();
        let builder = Client::builder().on_retry(move |event| hook.retrying(event));
        let base_url = args.base_url.clone().filter(|url| !url.is_empty());
        if !args.mock {
            match (base_url, key) {
                (Some(url), key) => {
                    // A mock or proxy may not need a key; Google would refuse the placeholder.
                    let client = builder
                        .api_key(key.unwrap_or_else(|| "no-key".to_string()))
                        .base_url(&url)
                        .build()
                        .map_err(|e| e.to_string())?;
                    return Ok(Backend {
                        client,
                        name: url,
                        mock: None,
                    });
                }
                (None, Some(key)) => {
                    let client = builder.api_key(key).build().map_err(|e| e.to_string())?;
                    return Ok(Backend {
                        client,
                        name: "google".to_string(),
                        mock: None,
                    });
                }
                (None, None) => progress.say(
                    "no GEMINI_API_KEY set: using the built-in offline mock (pictures are drawn \
                     locally, not by Gemini; set GEMINI_API_KEY to use Google)",
                ),
            }
        } else {
            progress.say("using the built-in offline mock (--mock)");
        }
        let config = gemini_image_mock::Config {
            legacy_models: args.legacy_models,
            ..gemini_image_mock::Config::default()
        };
        let mock = MockServer::start_with(config)
            .await
            .map_err(|e| format!("cannot start the built-in mock: {e}"))?;
        let client = builder
            .api_key("built-in-mock")
            .base_url(mock.uri())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Backend {
            client,
            name: "mock".to_string(),
            mock: Some(mock),
        })
    }
}
