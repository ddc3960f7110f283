//! Where requests go: Google's Gemini API with a key, Vertex AI (`--vertex`) with Google Cloud
//! credentials or an express-mode key, another server with `--base-url`, or the mock built into
//! this command (with `--mock`, or when nothing names a key or a server).

use gemini_image::auth::AccessToken;
use gemini_image::{Client, ClientBuilder, Environment};
use gemini_image_mock::MockServer;

use crate::args::BackendArgs;
use crate::progress::Progress;

/// A client, and the in-process mock it talks to, if any (kept alive with it).
pub struct Backend {
    pub client: Client,
    /// `mock`, `google`, `vertex-ai` or the base URL: for `--json` output.
    pub name: String,
    mock: Option<MockServer>,
}

/// The project the built-in mock's Vertex AI routes are called in when none is named.
const MOCK_PROJECT: &str = "built-in-mock";

impl Backend {
    /// Whether requests go to the mock built into this command (which ends with it).
    pub fn is_built_in_mock(&self) -> bool {
        self.mock.is_some()
    }

    /// Picks the backend and says which one when it is not Google's Gemini API.
    pub async fn connect(args: &BackendArgs, progress: &Progress) -> Result<Backend, String> {
        let env = Environment::read();
        let vertex = args.vertex || env.vertex_ai;
        let hook = progress.clone();
        let builder = Client::builder().on_retry(move |event| hook.retrying(event));
        let base_url = args
            .base_url
            .clone()
            .or_else(|| env.base_url(vertex).map(str::to_string))
            .filter(|url| !url.is_empty());
        if let Some(dir) = &args.replay {
            progress.say(&format!(
                "using the built-in offline mock, replaying {} (--replay)",
                dir.display()
            ));
        } else if args.mock {
            progress.say("using the built-in offline mock (--mock)");
        } else if vertex {
            let builder = vertex_builder(builder, args, &env)?;
            let builder = match &base_url {
                Some(url) => builder.base_url(url),
                None => builder,
            };
            let client = builder.build().map_err(|e| e.to_string())?;
            progress.say(&format!(
                "using {} at {}",
                client.backend(),
                client.base_url()
            ));
            return Ok(Backend {
                client,
                name: base_url.unwrap_or_else(|| "vertex-ai".to_string()),
                mock: None,
            });
        } else {
            match (base_url, env.api_key.clone()) {
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
        }
        let recordings = args
            .replay
            .as_ref()
            .map(gemini_image_mock::RecordingOptions::replay)
            .map(gemini_image_mock::Recordings::open)
            .transpose()
            .map_err(|e| format!("--replay: {e}"))?;
        let config = gemini_image_mock::Config {
            legacy_models: args.legacy_models,
            recordings,
            ..gemini_image_mock::Config::default()
        };
        let mock = MockServer::start_with(config)
            .await
            .map_err(|e| format!("cannot start the built-in mock: {e}"))?;
        let builder = if vertex {
            // `--vertex --mock`: the mock's Vertex AI routes, with a token it accepts.
            let project = args.project.as_deref().unwrap_or(MOCK_PROJECT);
            builder
                .vertex_ai(project, location(args, &env))
                .credentials(AccessToken::new("built-in-mock"))
        } else {
            builder.api_key("built-in-mock")
        };
        let client = builder
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

/// Vertex AI in the project named (its credentials an `--access-token`, else Application
/// Default Credentials), or express mode with the key.
fn vertex_builder(
    builder: ClientBuilder,
    args: &BackendArgs,
    env: &Environment,
) -> Result<ClientBuilder, String> {
    let project = args.project.clone().filter(|p| !p.is_empty());
    match (project, &env.api_key) {
        (Some(project), _) => {
            let builder = builder.vertex_ai(project, location(args, env));
            Ok(match &args.access_token {
                Some(token) => builder.credentials(AccessToken::new(token.0.clone())),
                None => builder,
            })
        }
        (None, Some(key)) => Ok(builder.vertex_ai_express().api_key(key)),
        (None, None) => Err(
            "Vertex AI needs a project (--project or GOOGLE_CLOUD_PROJECT), or an API key \
             (GOOGLE_API_KEY) for express mode"
                .to_string(),
        ),
    }
}

/// `--location`, else `GOOGLE_CLOUD_LOCATION` (which clap read), else `global`.
fn location(args: &BackendArgs, env: &Environment) -> String {
    args.location
        .clone()
        .or_else(|| env.location.clone())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| gemini_image::DEFAULT_VERTEX_LOCATION.to_string())
}
