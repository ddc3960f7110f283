//! The Files API's resources: `GET /{version}/files` (list), `GET|DELETE
//! /{version}/files/{id}`, and the download of a generated file at
//! `GET /{version}/files/{id}:download?alt=media` (the SDKs' path) and
//! `GET /download/{version}/files/{id}:download?alt=media` (the docs' curl).
//!
//! A file that does not exist or has expired is Google's 403, never a 404.

use std::collections::HashMap;
use std::convert::Infallible;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use gemini_image_types::types::{Empty, ListFilesResponse};
use tokio_util::io::ReaderStream;

use super::{json_response, paging};
use crate::error::ApiError;
use crate::files::resource;
use crate::files::store::{FileBody, Source};
use crate::gate::ApiQuery;
use crate::state::SharedState;
use crate::wire;

/// Files per page when the client does not say.
const DEFAULT_PAGE_SIZE: usize = 10;
/// Google's largest page; a larger `pageSize` is read as this.
const MAX_PAGE_SIZE: usize = 100;

/// The `{file}` of the path: the id, or the id and a custom method (`id:download`).
fn file_param(params: &HashMap<String, String>) -> &str {
    params.get("file").map(String::as_str).unwrap_or_default()
}

/// `GET /{version}/files/{id}`, and the SDKs' download `GET /{version}/files/{id}:download`.
pub async fn get(
    State(state): State<SharedState>,
    Path(params): Path<HashMap<String, String>>,
    ApiQuery(query): ApiQuery,
    uri: Uri,
) -> Result<Response, ApiError> {
    let file = file_param(&params);
    if let Some(id) = file.strip_suffix(":download") {
        return download(&state, id, &query).await;
    }
    if file.contains(':') {
        return Err(ApiError::not_found(uri.path()));
    }
    let now = state.clock.now();
    let stored = state
        .files
        .get(file, now)
        .ok_or_else(|| ApiError::file_not_found(file))?;
    let file = resource::describe(&stored, now, state.config.file_processing);
    Ok(json_response(wire::pretty("File", &file)))
}

/// `GET /download/{version}/files/{id}:download?alt=media`, the docs' form of the download.
pub async fn download_prefixed(
    State(state): State<SharedState>,
    Path(params): Path<HashMap<String, String>>,
    ApiQuery(query): ApiQuery,
    uri: Uri,
) -> Result<Response, ApiError> {
    match file_param(&params).strip_suffix(":download") {
        Some(id) => download(&state, id, &query).await,
        None => Err(ApiError::not_found(uri.path())),
    }
}

/// How much of a file on disk is read at a time for a download.
const DOWNLOAD_PIECE_BYTES: usize = 256 * 1024;

/// The bytes of a generated file, streamed from the store's segments or its file on disk.
async fn download(
    state: &SharedState,
    id: &str,
    query: &HashMap<String, String>,
) -> Result<Response, ApiError> {
    let stored = state
        .files
        .get(id, state.clock.now())
        .ok_or_else(|| ApiError::file_not_found(id))?;
    if stored.source != Source::Generated {
        return Err(ApiError::file_not_downloadable(id));
    }
    if query.get("alt").map(String::as_str) != Some("media") {
        // Our choice, as the spec has it (`alt` required, `media` only): Google's answer to a
        // download without `alt=media` is not known.
        return Err(ApiError::invalid_argument(
            "A file's bytes are downloaded with alt=media.",
        ));
    }
    let body = match stored.body() {
        FileBody::Segments(segments) => Body::from_stream(futures_util::stream::iter(
            segments.into_iter().map(Ok::<Bytes, Infallible>),
        )),
        FileBody::Path(path) => {
            let file = tokio::fs::File::open(&path).await.map_err(|error| {
                tracing::error!(%error, file = id, "cannot read a kept file");
                ApiError::internal()
            })?;
            // Read in pieces as the client takes them: a 2 GB file costs a buffer, not 2 GB.
            Body::from_stream(ReaderStream::with_capacity(file, DOWNLOAD_PIECE_BYTES))
        }
    };
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::try_from(stored.mime_type.as_str())
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(stored.size));
    Ok(response)
}

/// `DELETE /{version}/files/{id}`: `{}` (the body, none or `{}`, is not read).
pub async fn delete(
    State(state): State<SharedState>,
    Path(params): Path<HashMap<String, String>>,
    uri: Uri,
) -> Result<Response, ApiError> {
    let id = file_param(&params);
    if id.contains(':') {
        return Err(ApiError::not_found(uri.path()));
    }
    if !state.files.delete(id, state.clock.now()) {
        // Our choice: the 403 of `files.get`, which Google answers for every file it will not
        // show (the real answer to deleting a missing file is not known).
        return Err(ApiError::file_not_found(id));
    }
    Ok(json_response(wire::pretty(
        "Empty",
        &Empty::from(serde_json::Map::new()),
    )))
}

/// `GET /{version}/files?pageSize=&pageToken=`: newest first; an empty page is `{}`.
pub async fn list(
    State(state): State<SharedState>,
    ApiQuery(query): ApiQuery,
) -> Result<Response, ApiError> {
    let page_size = paging::page_size(&query, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)?;
    let after = paging::sequence_token(&query)?;
    let now = state.clock.now();
    let mut files = state
        .files
        .list(now)
        .into_iter()
        .filter(|f| after.is_none_or(|after| f.sequence < after));
    let page: Vec<_> = files.by_ref().take(page_size).collect();
    let next_page_token = match files.next() {
        Some(_) => page.last().map(|f| f.sequence.to_string()),
        None => None,
    };
    let response = ListFilesResponse {
        files: page
            .iter()
            .map(|f| resource::describe(f, now, state.config.file_processing))
            .collect(),
        next_page_token,
    };
    Ok(json_response(wire::pretty("ListFilesResponse", &response)))
}
