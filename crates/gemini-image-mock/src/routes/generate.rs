//! `:generateContent` and `:streamGenerateContent`.

use std::sync::Arc;

use bytes::Bytes;
use gemini_image_types::types::{
    Candidate, Content, GenerateContentRequest, GenerateContentResponse, Part,
};
use xxhash_rust::xxh3::Xxh3;

use super::Answer;
use super::call::Call;
use super::vertex_answer::VertexAnswer;
use crate::answered::Answered;
use crate::cache::Cached;
use crate::clock::rfc3339;
use crate::delivery::Framing;
use crate::error::ApiError;
use crate::files;
use crate::memo::{self, ReadRequest};
use crate::model::catalogue::Model;
use crate::model::generate::{check_rules, early_usage};
use crate::scenarios::{pick, shape};
use crate::wire;

/// The schema every answer here is written as.
const SCHEMA: &str = "GenerateContentResponse";

pub async fn unary(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    answer(call, Framing::Unary, "generateContent").await
}

pub async fn stream(call: &mut Call<'_>) -> Result<Answer, ApiError> {
    let framing = match call.query.get("alt").map(String::as_str) {
        Some("sse") => Framing::Sse,
        _ => Framing::JsonArray,
    };
    answer(call, framing, "StreamGenerateContent").await
}

async fn answer(call: &mut Call<'_>, framing: Framing, shown_as: &str) -> Result<Answer, ApiError> {
    // Vertex AI's answers are never cached (see below): its bodies are not remembered either.
    let memo_key = if call.backend.is_vertex() {
        None
    } else {
        memo::key(call.body.bytes(), MEMO_SALT)
    };
    if let Some(memo_key) = memo_key
        && let Some(answer) = remembered(call, memo_key, framing, shown_as)
    {
        return Ok(answer);
    }
    let (mut request, normalized, warning): (GenerateContentRequest, _, _) =
        call.read_warned("GenerateContentRequest")?;
    let model = call.model("generateContent", shown_as)?;
    let directives = pick::take_request_directives(&mut request)?;
    call.plan.extend(directives.iter().cloned());
    if call.plan.error(model.id).is_some() {
        // The caller answers with the error; nothing to render.
        return Ok(Answer::unary(Bytes::new()));
    }
    let vertex = call
        .backend
        .is_vertex()
        .then(|| VertexAnswer::new(rfc3339(call.state.clock.now(), 6), &request));
    // `fileData` naming an uploaded file is the file's bytes inline from here on.
    let files = files::resolve::inline_files(
        call.state,
        request
            .contents
            .iter_mut()
            .chain(request.system_instruction.iter_mut()),
    )?;
    let normalized = {
        let mut h = Xxh3::new();
        // Streamed into the hash: an edit's body is megabytes, not worth a copy.
        let _ = serde_json::to_writer(HashWriter(&mut h), &normalized);
        h.digest()
    };
    // A request naming an uploaded file depends on the file, not on its bytes alone.
    if let Some(memo_key) = memo_key
        && files.is_empty()
    {
        call.state.requests.put(
            memo_key,
            call.body.bytes(),
            ReadRequest {
                normalized,
                directives,
                warning,
            },
        );
    }
    let key = answer_key(model, framing, &call.plan.shaping_key(), &files, normalized);
    // A cached answer needs nothing below (the render's captures, the wait for a flight).
    // Vertex AI's answers are never cached (see below), so never looked up.
    if vertex.is_none()
        && let Some(cached) = call.state.cache.get(key)
    {
        return Ok(reused(call, model.id, cached, framing));
    }
    // The model's rules, the image headers among them (a pixel bomb), are read here, before the
    // render's turn: a refusal costs a header read, not a wait behind every render under way.
    // The render checks them again (`generate::respond` serves batches and Interactions too);
    // a second header read is nothing beside a render.
    check_rules(model, &request)?;
    // Boxed, and only here: what a render holds across its waits (the typed request, twice in
    // its captures, and the cache's future) is kilobytes (11.7 KB in all), and inline it would
    // make this function's future, and every future that awaits it, that large — copied
    // whole into its box on every request, a cache hit's too.
    Box::pin(render_answer(call, model, request, framing, vertex, key)).await
}

/// The answer rendered (on the blocking pool), cached unless it is Vertex AI's, or taken from
/// an identical request's render under way.
async fn render_answer(
    call: &Call<'_>,
    model: &'static Model,
    request: GenerateContentRequest,
    framing: Framing,
    vertex: Option<VertexAnswer>,
    key: u64,
) -> Result<Answer, ApiError> {
    let pictures = call.state.config.pictures();
    let plan = call.plan.clone();
    let note = call.note.clone();
    // Rendering megapixel images is CPU work, done on the blocking pool (and the hashing of the
    // answer's images for the journal with it).
    let respond = move || {
        shape::respond(model, &request, &pictures, &plan).map(|response| {
            let answered = note.answer(&response);
            (response, answered)
        })
    };
    // A Vertex answer carries the time it was asked (`createTime`), so it is rendered for each
    // request rather than kept.
    if let Some(vertex) = vertex {
        let (response, _) = tokio::task::spawn_blocking(respond)
            .await
            .map_err(|_| ApiError::internal())??;
        let body = render(response, framing, Some(&vertex));
        return Ok(Answer { body, framing });
    }
    let rendered = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let rendered_here = Arc::clone(&rendered);
    let (body, answered) = call
        .state
        .cache
        .answer(key, move || {
            rendered_here.store(true, std::sync::atomic::Ordering::Relaxed);
            let (response, answered) = respond()?;
            tracing::debug!(model = model.id, "rendered an answer");
            Ok((render(response, framing, None), answered))
        })
        .await?;
    if rendered.load(std::sync::atomic::Ordering::Relaxed) {
        Ok(Answer { body, framing })
    } else {
        Ok(reused(call, model.id, (body, answered), framing))
    }
}

/// Tells this reader's keys apart from the journal's for the same body.
const MEMO_SALT: u64 = 0x6765_6e65_7261_7465;

/// The answer to a body read before, when it is still cached: what a full read would do
/// (directives into the plan, the warning into the journal) without parsing, validating and
/// hashing the body again. Anything else — a model that does not serve the method, a
/// directive's error, an answer no longer cached — is left to the full read, untouched.
fn remembered(
    call: &mut Call<'_>,
    memo_key: u64,
    framing: Framing,
    shown_as: &str,
) -> Option<Answer> {
    let read = call.state.requests.get(memo_key, call.body.bytes())?;
    let model = call.model("generateContent", shown_as).ok()?;
    let mut plan = call.plan.clone();
    plan.extend(read.directives.iter().cloned());
    if plan.error(model.id).is_some() {
        return None;
    }
    let key = answer_key(model, framing, &plan.shaping_key(), "", read.normalized);
    let cached = call.state.cache.get(key)?;
    *call.plan = plan;
    if let Some(warning) = &read.warning {
        call.note.warning(warning.clone());
    }
    Some(reused(call, model.id, cached, framing))
}

/// The cache's key for an answer: the model, the framing, the scenarios that shape it, the
/// files it names and the request as normalized (its hash).
fn answer_key(model: &Model, framing: Framing, shaping: &str, files: &str, normalized: u64) -> u64 {
    let mut h = Xxh3::new();
    h.update(model.id.as_bytes());
    h.update(&[framing as u8]);
    h.update(shaping.as_bytes());
    h.update(files.as_bytes());
    h.update(&normalized.to_le_bytes());
    h.digest()
}

/// An answer rendered for another request (cached, or an identical request's render): this
/// request's journal entry gets the summary its own render would have noted.
fn reused(call: &Call<'_>, model: &str, (body, answered): Cached, framing: Framing) -> Answer {
    tracing::debug!(model, bytes = body.len(), "answered from the cache");
    call.note.answered(Answered::clone(&answered));
    Answer { body, framing }
}

/// The answer's body as the service writes it: the Gemini API's shape, or Vertex AI's.
fn render(
    response: GenerateContentResponse,
    framing: Framing,
    vertex: Option<&VertexAnswer>,
) -> Bytes {
    let split = |response| match vertex {
        Some(vertex) => vertex.stream(chunks(response)),
        None => chunks(response),
    };
    match (framing, vertex) {
        (Framing::Unary, None) => wire::pretty(SCHEMA, &response),
        (Framing::Unary, Some(vertex)) => wire::pretty(SCHEMA, &vertex.unary(response)),
        // `Events` is the Interactions API's framing, never asked of this route.
        (Framing::Sse | Framing::Events, _) => sse_body(&split(response)),
        (Framing::JsonArray, _) => json_array_body(&split(response)),
    }
}

/// Feeds what serde_json writes into a hash.
struct HashWriter<'a>(&'a mut Xxh3);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Splits a whole answer into the chunks a stream delivers: one part per chunk (an image whole
/// inside its chunk), the finish reason and the full usage on the last one.
pub fn chunks(response: GenerateContentResponse) -> Vec<GenerateContentResponse> {
    let longest = response
        .candidates
        .iter()
        .map(|c| c.content.as_ref().map_or(0, |content| content.parts.len()))
        .max()
        .unwrap_or(0)
        .max(1);
    let usage_so_far = response.usage_metadata.as_ref().map(early_usage);
    (0..longest)
        .map(|step| {
            let last = step + 1 == longest;
            let candidates = response
                .candidates
                .iter()
                .filter_map(|candidate| {
                    let part: Option<Part> = candidate
                        .content
                        .as_ref()
                        .and_then(|c| c.parts.get(step).cloned());
                    (part.is_some() || last).then(|| Candidate {
                        content: Some(Content {
                            parts: part.into_iter().collect(),
                            role: Some("model".to_string()),
                        }),
                        finish_reason: if last {
                            candidate.finish_reason.clone()
                        } else {
                            None
                        },
                        finish_message: if last {
                            candidate.finish_message.clone()
                        } else {
                            None
                        },
                        index: candidate.index,
                        ..Default::default()
                    })
                })
                .collect();
            GenerateContentResponse {
                candidates,
                prompt_feedback: response.prompt_feedback.clone(),
                usage_metadata: if last {
                    response.usage_metadata.clone()
                } else {
                    usage_so_far.clone()
                },
                model_version: response.model_version.clone(),
                response_id: response.response_id.clone(),
                model_status: response.model_status.clone(),
                create_time: response.create_time.clone(),
            }
        })
        .collect()
}

/// `data: <one-line JSON>\r\n\r\n` per chunk, no `[DONE]`.
fn sse_body(chunks: &[GenerateContentResponse]) -> Bytes {
    let mut out = Vec::new();
    for chunk in chunks {
        out.extend_from_slice(b"data: ");
        out.extend_from_slice(&wire::single_line(SCHEMA, chunk));
        out.extend_from_slice(b"\r\n\r\n");
    }
    Bytes::from(out)
}

/// Without `alt=sse`: one JSON array of pretty-printed chunks.
fn json_array_body(chunks: &[GenerateContentResponse]) -> Bytes {
    let mut out = b"[".to_vec();
    for (i, chunk) in chunks.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b",\r\n");
        }
        out.extend_from_slice(&wire::pretty_element(SCHEMA, chunk));
    }
    out.extend_from_slice(b"]");
    Bytes::from(out)
}
