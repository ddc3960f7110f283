//! `POST /__mock/oauth2/token`: Google's OAuth 2 token endpoint, offline — so that Application
//! Default Credentials work against the mock unchanged. A credentials file whose `token_uri` is
//! this URL (an `authorized_user` file from `gcloud auth application-default login`, a service
//! account's key) makes Google's auth libraries (google-cloud-auth, google-auth,
//! google-auth-library) fetch their access token here, and the mock's Vertex AI routes accept
//! it: the first `--bearer` token, or `mock-access-token` when any token is accepted.
//!
//! Under `/__mock/`, so the journal never keeps a refresh token or a signed assertion.

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};

use crate::state::SharedState;

/// The token handed out when any token is accepted.
pub const MOCK_ACCESS_TOKEN: &str = "mock-access-token";

/// How long a token lives, as Google's do (3599 s: an hour less the second the request took).
const LIFETIME_SECONDS: u64 = 3599;

/// The grants Google's libraries ask with: a refresh token (user credentials), a signed JWT
/// (service accounts), a token exchange (workload identity federation).
const GRANTS: &[&str] = &[
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "urn:ietf:params:oauth:grant-type:token-exchange",
];

/// An access token for a request that names a grant Google's endpoint knows (as JSON, which
/// google-cloud-auth sends, or as a form, which the Python and Node libraries send); OAuth's own
/// error shape otherwise, as Google's endpoint answers it.
pub async fn token(
    State(state): State<SharedState>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(body) = body else {
        return refusal("invalid_request", "The request body could not be read.");
    };
    let grant = grant_type(&body);
    match grant.as_deref() {
        Some(grant) if GRANTS.contains(&grant) => {}
        Some(grant) => {
            return refusal(
                "unsupported_grant_type",
                &format!("Invalid grant_type: {grant}"),
            );
        }
        None => return refusal("unsupported_grant_type", "Invalid grant_type: "),
    }
    let token = state
        .config
        .bearer_tokens
        .first()
        .map_or(MOCK_ACCESS_TOKEN, String::as_str);
    Json(json!({
        "access_token": token,
        "expires_in": LIFETIME_SECONDS,
        "scope": "https://www.googleapis.com/auth/cloud-platform",
        "token_type": "Bearer",
    }))
    .into_response()
}

/// `grant_type` from a JSON body or a form.
fn grant_type(body: &[u8]) -> Option<String> {
    if let Ok(json) = serde_json::from_slice::<Value>(body) {
        return json.get("grant_type")?.as_str().map(str::to_string);
    }
    form_urlencoded::parse(body)
        .find(|(name, _)| name == "grant_type")
        .map(|(_, value)| value.into_owned())
}

/// OAuth's error: `{"error": code, "error_description": text}` with 400 — not Google's API
/// error shape, which this endpoint never used.
fn refusal(error: &str, description: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}
