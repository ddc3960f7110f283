//! Where a request's scenarios come from besides the admin queue and chaos: its
//! `x-mock-scenario` header and `[mock:NAME]` directives in its prompt.

use axum::http::HeaderMap;
use gemini_image_types::types::GenerateContentRequest;

use super::{Scenario, parse_list};
use crate::error::ApiError;

/// The header that asks for scenarios: `x-mock-scenario: rate_limit=3s, slow=250ms`.
pub const SCENARIO_HEADER: &str = "x-mock-scenario";
/// The header that ties a request to a test, for queued scenarios and journal filters.
pub const TEST_ID_HEADER: &str = "x-mock-test-id";

/// The scenarios named in the `x-mock-scenario` header (several headers or a comma list).
pub fn from_headers(headers: &HeaderMap) -> Result<Vec<Scenario>, ApiError> {
    let mut found = Vec::new();
    for value in headers.get_all(SCENARIO_HEADER) {
        let text = value.to_str().map_err(|_| {
            ApiError::invalid_argument(format!("{SCENARIO_HEADER}: not valid text"))
        })?;
        found.extend(
            parse_list(text)
                .map_err(|e| ApiError::invalid_argument(format!("{SCENARIO_HEADER}: {e}")))?,
        );
    }
    Ok(found)
}

/// The `x-mock-test-id` header.
pub fn test_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get(TEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Removes every `[mock:...]` directive from `text` and returns the scenarios they name.
///
/// The directive is removed with the whitespace before it, so that the model "sees" the prompt
/// as if the directive had never been written.
pub fn take_directives(text: &mut String) -> Result<Vec<Scenario>, ApiError> {
    const OPEN: &str = "[mock:";
    let mut found = Vec::new();
    while let Some(start) = text.find(OPEN) {
        let Some(length) = text[start..].find(']') else {
            break;
        };
        let inside = &text[start + OPEN.len()..start + length];
        found.extend(
            parse_list(inside)
                .map_err(|e| ApiError::invalid_argument(format!("[mock:...] directive: {e}")))?,
        );
        let before = text[..start].trim_end().len();
        text.replace_range(before..start + length + 1, "");
    }
    Ok(found)
}

/// Takes the directives out of every text part of a Gemini request.
pub fn take_request_directives(
    request: &mut GenerateContentRequest,
) -> Result<Vec<Scenario>, ApiError> {
    let mut found = Vec::new();
    for part in request.contents.iter_mut().flat_map(|c| c.parts.iter_mut()) {
        if let Some(text) = part.text.as_mut() {
            found.extend(take_directives(text)?);
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn directives_are_read_and_removed() {
        let mut text = String::from("a red bicycle [mock:image_safety] at dusk [mock:slow=10ms]");
        let found = take_directives(&mut text).unwrap();
        assert_eq!(text, "a red bicycle at dusk");
        assert_eq!(
            found,
            [
                Scenario::ImageSafety,
                Scenario::Slow(Duration::from_millis(10))
            ]
        );
        let mut wrong = String::from("[mock:meltdown] x");
        let error = take_directives(&mut wrong).unwrap_err();
        assert!(
            error.message.contains("unknown scenario"),
            "{}",
            error.message
        );
        let mut unclosed = String::from("text [mock:slow");
        assert!(take_directives(&mut unclosed).unwrap().is_empty());
    }

    #[test]
    fn headers_may_list_several() {
        let mut headers = HeaderMap::new();
        headers.append(SCENARIO_HEADER, "overloaded, slow=5ms".parse().unwrap());
        headers.append(SCENARIO_HEADER, "stream_error".parse().unwrap());
        assert_eq!(from_headers(&headers).unwrap().len(), 3);
        headers.insert(SCENARIO_HEADER, "nope".parse().unwrap());
        assert_eq!(from_headers(&headers).unwrap_err().code, 400);
    }
}
