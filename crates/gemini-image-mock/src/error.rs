//! [`ApiError`]: the one place that renders Google's error JSON, in both of its shapes.
//!
//! Every error the mock sends goes through here, so every error is `application/json`. The
//! classic APIs use the `{"error": {"code", "message", "status", "details"}}` shape,
//! pretty-printed the way Google's front end prints it; the Interactions API uses
//! `{"error": {"message", "code": "<slug>"}}` ([`InteractionsError`]), rendered from the same
//! [`ApiError`] so that a handler, the gate or a scenario never picks a shape itself.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A Google API error: HTTP status, canonical status name, message, typed details.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// The HTTP status (also `error.code`).
    pub code: u16,
    /// The canonical `google.rpc.Code` name (`error.status`).
    pub status: &'static str,
    /// The developer-facing message.
    pub message: String,
    /// `google.rpc` details, each with its `@type`.
    pub details: Vec<Value>,
}

impl ApiError {
    fn new(code: u16, status: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            status,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// 400 INVALID_ARGUMENT with no details (model capability errors and the like).
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(400, "INVALID_ARGUMENT", message)
    }

    /// 400 INVALID_ARGUMENT for a request body Google's JSON parser rejects, with the
    /// `BadRequest` field violation Google attaches.
    pub fn bad_field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut error = Self::invalid_argument(message.clone());
        error.details.push(json!({
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            "fieldViolations": [{"field": field, "description": message}],
        }));
        error
    }

    /// 400 INVALID_ARGUMENT for a request that parsed but breaks the API's rules. Google lists
    /// every violation, each as `* Type.field.path: what is wrong` ending in a newline, and
    /// attaches no details.
    pub fn violations(violations: impl IntoIterator<Item = String>) -> Self {
        let message = violations
            .into_iter()
            .map(|violation| format!("* {violation}\n"))
            .collect::<String>();
        Self::invalid_argument(message)
    }

    /// A single violation: `field` (a path such as `contents[0].parts`) of the request type
    /// `root` breaks a rule.
    pub fn violation(root: &str, field: &str, message: &str) -> Self {
        Self::violations([format!("{root}.{field}: {message}")])
    }

    /// The real answer to a wrong API key.
    pub fn api_key_invalid() -> Self {
        const MESSAGE: &str = "API key not valid. Please pass a valid API key.";
        let mut error = Self::invalid_argument(MESSAGE);
        error.details = vec![
            json!({
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "API_KEY_INVALID",
                "domain": "googleapis.com",
                "metadata": {"service": "generativelanguage.googleapis.com"},
            }),
            json!({
                "@type": "type.googleapis.com/google.rpc.LocalizedMessage",
                "locale": "en-US",
                "message": MESSAGE,
            }),
        ];
        error
    }

    /// The real answer to a request without any API key.
    pub fn api_key_missing() -> Self {
        Self::new(
            403,
            "PERMISSION_DENIED",
            "Method doesn't allow unregistered callers (callers without established identity). \
             Please use API Key or other form of API consumer identity to call this API.",
        )
    }

    /// Vertex AI's answer to a request without credentials (Google's text, seen on
    /// `v1beta1/…:countTokens`). `rpc_method` is the method of the metadata,
    /// `google.cloud.aiplatform.v1beta1.PredictionService.GenerateContent`.
    pub fn vertex_credentials_missing(rpc_method: &str) -> Self {
        Self::unauthenticated(
            "Request is missing required authentication credential. Expected OAuth 2 access \
             token, login cookie or other valid authentication credential. See \
             https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "CREDENTIALS_MISSING",
            rpc_method,
        )
    }

    /// Vertex AI's answer to an API key where it needs an OAuth token (a project route),
    /// Google's text.
    pub fn vertex_api_key_not_supported(rpc_method: &str) -> Self {
        Self::unauthenticated(
            "API keys are not supported by this API. Expected OAuth2 access token or other \
             authentication credentials that assert a principal. See \
             https://cloud.google.com/docs/authentication",
            "CREDENTIALS_MISSING",
            rpc_method,
        )
    }

    /// Vertex AI's answer to a bearer token it does not accept. Unconfirmed for aiplatform:
    /// this is the text other Google APIs send for an invalid token, and the reason is a guess.
    pub fn vertex_token_invalid(rpc_method: &str) -> Self {
        Self::unauthenticated(
            "Request had invalid authentication credentials. Expected OAuth 2 access token, \
             login cookie or other valid authentication credential. See \
             https://developers.google.com/identity/sign-in/web/devconsole-project.",
            "ACCESS_TOKEN_TYPE_UNSUPPORTED",
            rpc_method,
        )
    }

    /// 401 UNAUTHENTICATED with the ErrorInfo Vertex AI attaches.
    fn unauthenticated(message: &str, reason: &str, rpc_method: &str) -> Self {
        let mut error = Self::new(401, "UNAUTHENTICATED", message);
        error.details.push(json!({
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
            "domain": "googleapis.com",
            "metadata": {"method": rpc_method, "service": "aiplatform.googleapis.com"},
        }));
        error
    }

    /// Vertex AI's answer to an unknown or retired model; `name` is the model's resource name
    /// (`projects/{p}/locations/{l}/publishers/google/models/{m}`).
    pub fn publisher_model_not_found(name: &str) -> Self {
        Self::new(
            404,
            "NOT_FOUND",
            format!(
                "Publisher Model `{name}` was not found or your project does not have access to \
                 it. Please ensure you are using a valid model version. For more information, \
                 see: https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions"
            ),
        )
    }

    /// The real answer to an unknown model, or a model that does not support `method`.
    pub fn model_not_found(model: &str, version: &str, method: &str) -> Self {
        Self::new(
            404,
            "NOT_FOUND",
            format!(
                "models/{model} is not found for API version {version}, or is not supported for \
                 {method}. Call ListModels to see the list of available models and their \
                 supported methods."
            ),
        )
    }

    /// 404 for a path the API does not have (Google answers these in the same shape).
    pub fn not_found(path: &str) -> Self {
        Self::new(
            404,
            "NOT_FOUND",
            format!("The requested URL {path} was not found on this server."),
        )
    }

    /// 500 INTERNAL, as Google words it. The mock sends it only when it has a bug (a render
    /// that panicked), so that tests notice instead of seeing a plausible 400.
    pub fn internal() -> Self {
        Self::new(
            500,
            "INTERNAL",
            "An internal error has occurred. Please retry or report in \
             https://developers.generativeai.google/guide/troubleshooting",
        )
    }

    /// 429 RESOURCE_EXHAUSTED as Google sends it for a per-minute quota: Help, QuotaFailure and
    /// RetryInfo details, the delay in the body only (Google sends no `Retry-After` header).
    pub fn rate_limit(model: &str, retry_after: std::time::Duration) -> Self {
        Self::quota(
            model,
            "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
            retry_after,
        )
    }

    /// 429 RESOURCE_EXHAUSTED for the per-day quota. Google still attaches a short RetryInfo
    /// here, which is why clients must read the quota id before retrying.
    pub fn daily_quota(model: &str, retry_after: std::time::Duration) -> Self {
        Self::quota(
            model,
            "GenerateRequestsPerDayPerProjectPerModel-FreeTier",
            retry_after,
        )
    }

    fn quota(model: &str, quota_id: &str, retry_after: std::time::Duration) -> Self {
        const METRIC: &str =
            "generativelanguage.googleapis.com/generate_content_free_tier_requests";
        const DOCS: &str = "https://ai.google.dev/gemini-api/docs/rate-limits";
        let precise = retry_after.as_secs_f64();
        let mut error = Self::new(
            429,
            "RESOURCE_EXHAUSTED",
            format!(
                "You exceeded your current quota, please check your plan and billing details. \
                 For more information on this error, head to: {DOCS}. To monitor your current \
                 usage, head to: https://ai.dev/rate-limit. \n* Quota exceeded for metric: \
                 {METRIC}, limit: 0, model: {model}\nPlease retry in {precise}s."
            ),
        );
        error.details = vec![
            json!({
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [{"description": "Learn more about Gemini API quotas", "url": DOCS}],
            }),
            json!({
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [{
                    "quotaMetric": METRIC,
                    "quotaId": quota_id,
                    "quotaDimensions": {"location": "global", "model": model},
                }],
            }),
            json!({
                "@type": "type.googleapis.com/google.rpc.RetryInfo",
                // A Duration in whole seconds; the message carries the precise value.
                "retryDelay": format!("{}s", retry_after.as_secs()),
            }),
        ];
        error
    }

    /// 503 UNAVAILABLE, the answer at peak hours.
    pub fn overloaded() -> Self {
        Self::new(
            503,
            "UNAVAILABLE",
            "The model is overloaded. Please try again later.",
        )
    }

    /// 504 DEADLINE_EXCEEDED.
    pub fn deadline() -> Self {
        Self::new(
            504,
            "DEADLINE_EXCEEDED",
            "Deadline expired before operation could complete.",
        )
    }

    /// Google's answer to a body over its 20 MB limit.
    pub fn payload_too_large(limit: usize) -> Self {
        Self::invalid_argument(format!(
            "Request payload size exceeds the limit: {limit} bytes."
        ))
    }

    /// A body that stopped arriving: no byte for `idle`. Our choice: 408 (the server's wait for
    /// the request timed out, as HTTP names it) with `DEADLINE_EXCEEDED`, the canonical code of
    /// a deadline; Google's front end closes such a connection with an answer not measured.
    pub fn body_stalled(idle: std::time::Duration) -> Self {
        Self::new(
            408,
            "DEADLINE_EXCEEDED",
            format!(
                "The request body stopped arriving: no byte for {} ms.",
                idle.as_millis()
            ),
        )
    }

    /// A body that ended before its `Content-Length`, was malformed (a bad chunk size) or was
    /// cut by the client. Our wording: the real answer is not known (the client that went away
    /// reads none).
    pub fn body_broken(reason: &str) -> Self {
        Self::invalid_argument(format!(
            "The request body could not be read whole: {reason}."
        ))
    }

    /// The real answer to a file that does not exist, has expired or is another project's, for
    /// `files.get` and for `fileData` naming it (403, not 404).
    pub fn file_not_found(id: &str) -> Self {
        Self::new(
            403,
            "PERMISSION_DENIED",
            format!("You do not have permission to access the File {id} or it may not exist."),
        )
    }

    /// The real answer to `fileData` naming a file still `PROCESSING` (or `FAILED`).
    pub fn file_not_active(id: &str) -> Self {
        Self::new(
            400,
            "FAILED_PRECONDITION",
            format!("The File {id} is not in an ACTIVE state and usage is not allowed."),
        )
    }

    /// The real answer to an upload asking for a custom file name Google does not take.
    pub fn file_name_invalid() -> Self {
        Self::invalid_argument(
            "CreateFileRequest.file.name: File name may only contain lowercase alphanumeric \
             characters or dashes (-) and cannot begin or end with a dash.",
        )
    }

    /// A custom file name longer than the 40 characters Google documents. Our wording: the
    /// real message is not known.
    pub fn file_name_too_long() -> Self {
        Self::invalid_argument(
            "CreateFileRequest.file.name: File name must be at most 40 characters long.",
        )
    }

    /// A display name longer than the 512 characters Google documents. Our wording: the real
    /// message is not known.
    pub fn display_name_too_long() -> Self {
        Self::invalid_argument(
            "CreateFileRequest.file.display_name: Display name must be at most 512 characters \
             long.",
        )
    }

    /// A custom file name already taken. Our choice (409 ALREADY_EXISTS, as Google's other
    /// APIs answer a taken name): the real answer is not known.
    pub fn file_exists(id: &str) -> Self {
        Self::new(
            409,
            "ALREADY_EXISTS",
            format!("File files/{id} already exists."),
        )
    }

    /// A file over Google's 2 GB limit. Our wording: the real message is not known.
    pub fn file_too_large(size: u64, limit: u64) -> Self {
        Self::invalid_argument(format!(
            "The file is {size} bytes, more than the limit of {limit} bytes for a file."
        ))
    }

    /// No room left in the file store (the project's quota, or the mock's memory bound).
    /// Our choice: 429 RESOURCE_EXHAUSTED, as Google answers a quota; the real answer to a full
    /// file store is not known.
    pub fn file_storage_full(what: &str) -> Self {
        Self::new(
            429,
            "RESOURCE_EXHAUSTED",
            format!(
                "File storage quota exceeded: {what}. Delete files or wait for them to expire."
            ),
        )
    }

    /// A chunk for an upload the server does not know (never started, finished, evicted).
    /// Our wording: Google's upload server answers this in its own way, not measured.
    pub fn upload_not_found() -> Self {
        Self::new(
            404,
            "NOT_FOUND",
            "The upload was not found: it may have finished, expired or never started.",
        )
    }

    /// A download of a file that was uploaded: Google serves only generated files. Our choice
    /// of status and wording: the real answer is not known.
    pub fn file_not_downloadable(id: &str) -> Self {
        Self::new(
            400,
            "FAILED_PRECONDITION",
            format!(
                "The File {id} was uploaded and cannot be downloaded: only generated files can be."
            ),
        )
    }

    /// A stored interaction that does not exist, was deleted or has expired (also for a
    /// `previous_interaction_id` naming one). Our choice, unconfirmed: 404 `not_found`.
    pub fn interaction_not_found(id: &str) -> Self {
        Self::new(404, "NOT_FOUND", format!("Interaction {id} was not found."))
    }

    /// A request the Interactions API refuses for its meaning (400 `invalid_request`).
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::invalid_argument(message)
    }

    /// A blocked prompt (400 `content_blocked`, as a third party reports the real API).
    pub fn content_blocked(reason: &str) -> Self {
        Self::new(
            400,
            "CONTENT_BLOCKED",
            format!("The request was blocked: {reason}."),
        )
    }

    /// No room left in the interaction store. Our choice, as for the file store: 429.
    pub fn interaction_storage_full(limit: usize) -> Self {
        Self::new(
            429,
            "RESOURCE_EXHAUSTED",
            format!(
                "Interaction storage is full ({limit} bytes). Delete interactions, send \
                 \"store\": false, or wait for them to expire."
            ),
        )
    }

    /// An unknown batch id (get, cancel, delete). Our choice, unconfirmed: Google's generic
    /// 404 wording for a resource that does not exist.
    pub fn batch_not_found() -> Self {
        Self::new(404, "NOT_FOUND", "Requested entity was not found.")
    }

    /// A cancel of a batch that has already finished. Our choice, unconfirmed: 400
    /// FAILED_PRECONDITION, what Google's long-running operations answer a change to a
    /// finished job.
    pub fn batch_finished(name: &str, state: &str) -> Self {
        Self::new(
            400,
            "FAILED_PRECONDITION",
            format!("The batch {name} has already finished ({state}) and cannot be cancelled."),
        )
    }

    /// The top-level error of a batch that was running when the mock stopped (`--data-dir`)
    /// and cannot go on after the restart: `why` (its kept requests or its input file are
    /// missing or not valid). Our wording: a mock's own event.
    pub fn batch_not_resumed(why: &str) -> Self {
        Self::new(
            500,
            "INTERNAL",
            format!(
                "The batch could not go on after the server restarted: {why}. Submit it again."
            ),
        )
    }

    /// The top-level error of the `batch_failed` scenario. Our wording: the real text of a
    /// failed batch is not known.
    pub fn batch_failed() -> Self {
        Self::new(
            500,
            "INTERNAL",
            "The batch failed: an internal error occurred while processing it.",
        )
    }

    /// No room left for batches: the mock's byte budget, or Google's 100 batches at once.
    /// Our choice, as for the other stores: 429 RESOURCE_EXHAUSTED.
    pub fn batch_storage_full(what: &str) -> Self {
        Self::new(
            429,
            "RESOURCE_EXHAUSTED",
            format!("Batch quota exceeded: {what}. Wait for batches to finish or delete some."),
        )
    }

    /// Record and replay (our choice, Google has no such error): a request no recording
    /// answers, or an exchange that could not be recorded. 400 FAILED_PRECONDITION — a test's
    /// setup is wrong, and no SDK retries a 400, so the test fails at once with the message
    /// (which names the recording directory and the nearest recorded request).
    pub fn recording_precondition(message: impl Into<String>) -> Self {
        Self::new(400, "FAILED_PRECONDITION", message)
    }

    /// Record mode: the upstream could not be reached or broke off (503 UNAVAILABLE, as a
    /// gateway says it; retried like Google's own 503).
    pub fn upstream_unavailable(message: impl Into<String>) -> Self {
        Self::new(503, "UNAVAILABLE", message)
    }

    /// The error as the `google.rpc.Status` of a batch's results (a line's `error`, a failed
    /// batch's top-level `error`): Operation JSON carries the canonical gRPC code number
    /// (`{"code": 3, "message": …}` in the real captures), not the HTTP status, and no
    /// `status` name. Details are left out (whether Google sends any there is unconfirmed).
    pub fn to_status(&self) -> gemini_image_types::types::Status {
        let code = match self.status {
            "CANCELLED" => 1,
            "INVALID_ARGUMENT" | "CONTENT_BLOCKED" => 3,
            "DEADLINE_EXCEEDED" => 4,
            "NOT_FOUND" => 5,
            "ALREADY_EXISTS" => 6,
            "PERMISSION_DENIED" => 7,
            "RESOURCE_EXHAUSTED" => 8,
            "FAILED_PRECONDITION" => 9,
            "INTERNAL" => 13,
            "UNAVAILABLE" => 14,
            "UNAUTHENTICATED" => 16,
            _ => 2,
        };
        gemini_image_types::types::Status {
            code: Some(code),
            message: Some(self.message.clone()),
            ..Default::default()
        }
    }

    /// The body as Google sends it: `{"error": {...}}`, pretty-printed with a trailing newline.
    pub fn to_json(&self) -> String {
        let mut error = json!({
            "code": self.code,
            "message": self.message,
            "status": self.status,
        });
        if !self.details.is_empty() {
            error["details"] = Value::Array(self.details.clone());
        }
        let mut body = serde_json::to_string_pretty(&json!({ "error": error }))
            .unwrap_or_else(|_| String::from("{}"));
        body.push('\n');
        body
    }
}

/// An error the upload server writes as plain text, not as Google's JSON: it refuses a chunk
/// this way (`text/plain; charset=utf-8`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlainTextError {
    /// The HTTP status.
    pub code: u16,
    /// The whole body.
    pub message: String,
}

impl PlainTextError {
    /// The real answer to a chunk, other than the last, whose size is not a multiple of the
    /// chunk granularity.
    pub fn chunk_granularity(sent: u64, granularity: u64) -> Self {
        Self::bad_request(format!(
            "The client sent {sent} bytes, which is not a multiple of the {granularity} byte \
             chunk granularity."
        ))
    }

    /// A chunk whose `X-Goog-Upload-Offset` is not the bytes received so far. Our wording: the
    /// real text is not known.
    pub fn offset_mismatch(offset: u64, received: u64) -> Self {
        Self::bad_request(format!(
            "The client sent offset {offset}, but the server has received {received} bytes \
             of this upload."
        ))
    }

    /// A chunk without a readable `X-Goog-Upload-Offset`. Our wording.
    pub fn offset_missing() -> Self {
        Self::bad_request(
            "The X-Goog-Upload-Offset header is missing or is not a number of bytes.".into(),
        )
    }

    /// An upload that ends at a size other than the one announced. Our wording.
    pub fn size_mismatch(total: u64, announced: u64) -> Self {
        Self::bad_request(format!(
            "The client sent {total} bytes in all, but announced {announced} bytes at the start \
             of the upload."
        ))
    }

    /// A request on the upload URL with an `X-Goog-Upload-Command` the server does not know.
    /// Our wording.
    pub fn unknown_command(command: &str) -> Self {
        Self::bad_request(format!(
            "Unknown X-Goog-Upload-Command: {command}. Expected upload, upload, finalize or \
             query."
        ))
    }

    fn bad_request(message: String) -> Self {
        Self { code: 400, message }
    }
}

impl IntoResponse for PlainTextError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::BAD_REQUEST);
        let mut response = (status, self.message).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        response
    }
}

/// A path that is not valid UTF-8 once percent-decoded names nothing the API has.
impl From<axum::extract::rejection::PathRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::PathRejection) -> Self {
        Self::new(
            404,
            "NOT_FOUND",
            format!("The requested URL was not found on this server: {rejection}"),
        )
    }
}

/// A query string that cannot be read is a bad argument.
impl From<axum::extract::rejection::QueryRejection> for ApiError {
    fn from(rejection: axum::extract::rejection::QueryRejection) -> Self {
        Self::invalid_argument(format!("Invalid query string: {}", rejection.body_text()))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.to_json()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=UTF-8"),
        );
        // Kept with the response, so that a layer answering in another shape (the
        // Interactions API's) renders the same error again rather than parsing this body.
        response.extensions_mut().insert(self);
        response
    }
}

/// An [`ApiError`] as the Interactions API writes it: `{"error": {"message", "code"}}`, `code`
/// a lowercase slug and no `status` (a real 400: `{"error":{"message":"The legacy Interactions
/// API schema is no longer supported…","code":"invalid_request"}}`). Both SDKs read it.
#[derive(Clone, Debug, PartialEq)]
pub struct InteractionsError(pub ApiError);

impl InteractionsError {
    /// The slug of `code`. Seen on the real API: `invalid_request` (400), `not_implemented`
    /// (501), `gateway_timeout` (a deadline, in a stream) and `content_blocked`. The others are
    /// our choice (unconfirmed): the canonical status name in lowercase, as the seen ones are
    /// shaped; `internal_error` rather than `internal`, as HTTP names a 500.
    pub fn slug(&self) -> &'static str {
        match self.0.status {
            "INVALID_ARGUMENT" | "FAILED_PRECONDITION" | "OUT_OF_RANGE" => "invalid_request",
            "NOT_FOUND" => "not_found",
            "PERMISSION_DENIED" => "permission_denied",
            "UNAUTHENTICATED" => "unauthenticated",
            "RESOURCE_EXHAUSTED" => "resource_exhausted",
            "UNAVAILABLE" => "unavailable",
            "DEADLINE_EXCEEDED" => "gateway_timeout",
            "ALREADY_EXISTS" => "already_exists",
            "UNIMPLEMENTED" => "not_implemented",
            "CONTENT_BLOCKED" => "content_blocked",
            _ => "internal_error",
        }
    }

    /// The `error` object alone, as a stream's `error` event carries it.
    pub fn body(&self) -> Value {
        json!({"message": self.0.message, "code": self.slug()})
    }

    /// The body: compact JSON, as the Interactions front end writes it.
    pub fn to_json(&self) -> String {
        json!({ "error": self.body() }).to_string()
    }

    /// A stream's `error` event: `event: error`, then the data with its `event_type`.
    pub fn to_event(&self) -> String {
        let data = json!({"error": self.body(), "event_type": "error"});
        format!("event: error\ndata: {data}\n\n")
    }
}

impl From<ApiError> for InteractionsError {
    fn from(error: ApiError) -> Self {
        Self(error)
    }
}

impl IntoResponse for InteractionsError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, self.to_json()).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=UTF-8"),
        );
        response
    }
}

/// Middleware on the Interactions routes (outside the gate): every error answered in Google's
/// classic shape — the gate's, a body limit's, a scenario's, a handler's — goes out in the
/// Interactions shape instead, from the [`ApiError`] the response carries.
pub async fn in_interactions_shape(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut response = next.run(request).await;
    match response.extensions_mut().remove::<ApiError>() {
        Some(error) => InteractionsError(error).into_response(),
        None => response,
    }
}
