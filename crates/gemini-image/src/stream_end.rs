//! When a streamed answer is whole: the one rule every streamed API of the client follows.
//!
//! A stream over HTTP ends when the connection closes, and a clean close looks the same whether
//! the server finished or a proxy on the way gave up after part of the answer. So a stream is
//! whole only when its own last word arrived — for `streamGenerateContent` a `finishReason` on
//! every candidate (or the prompt's `blockReason`); a later API with its own terminal event
//! implements [`StreamEnd`] for it — and [`require_end`] turns a stream that ends without it
//! into [`Error::Incomplete`], never a short answer.

use std::collections::BTreeMap;

use futures_core::Stream;
use futures_util::StreamExt;

use crate::error::Error;
use crate::types::GenerateContentResponse;

/// What a streamed API's items say about the stream's end.
pub(crate) trait StreamEnd<T> {
    /// What ends such a stream, for the error that says it never came
    /// (`a finishReason on every candidate`).
    const MARKER: &'static str;

    /// Notes one item of the stream.
    fn observe(&mut self, item: &T);

    /// Whether the items so far include the stream's terminal marker.
    fn is_complete(&self) -> bool;
}

/// `streamGenerateContent`: whole when the prompt was blocked (`promptFeedback.blockReason`, and
/// no candidate follows), or when every candidate that appeared got its `finishReason` — Google
/// puts it on the last chunk of each candidate.
#[derive(Debug, Default)]
pub(crate) struct GenerateContentEnd {
    prompt_blocked: bool,
    /// Each candidate seen, by index: whether it finished.
    candidates: BTreeMap<i32, bool>,
}

impl StreamEnd<GenerateContentResponse> for GenerateContentEnd {
    const MARKER: &'static str = "a finishReason on every candidate, or a blockReason";

    fn observe(&mut self, chunk: &GenerateContentResponse) {
        if chunk
            .prompt_feedback
            .as_ref()
            .is_some_and(|feedback| feedback.block_reason.is_some())
        {
            self.prompt_blocked = true;
        }
        for candidate in &chunk.candidates {
            let finished = self
                .candidates
                .entry(candidate.index.unwrap_or(0))
                .or_default();
            *finished |= candidate.finish_reason.is_some();
        }
    }

    fn is_complete(&self) -> bool {
        self.prompt_blocked
            || (!self.candidates.is_empty() && self.candidates.values().all(|&finished| finished))
    }
}

/// `items` as they come, then [`Error::Incomplete`] if they ended without `end`'s marker. An
/// error of `items` ends the stream as it is (it already says what went wrong).
pub(crate) fn require_end<T, S, E>(
    items: S,
    end: E,
) -> impl Stream<Item = Result<T, Error>> + Send + 'static
where
    T: Send + 'static,
    S: Stream<Item = Result<T, Error>> + Send + 'static,
    E: StreamEnd<T> + Send + 'static,
{
    struct Reading<S, E> {
        items: Option<std::pin::Pin<Box<S>>>,
        end: E,
        received: usize,
    }
    let state = Reading {
        items: Some(Box::pin(items)),
        end,
        received: 0,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        let items = state.items.as_mut()?;
        match items.next().await {
            Some(Ok(item)) => {
                state.end.observe(&item);
                state.received += 1;
                Some((Ok(item), state))
            }
            Some(Err(error)) => {
                state.items = None;
                Some((Err(error), state))
            }
            None if state.end.is_complete() => None,
            None => {
                state.items = None;
                let error = Error::Incomplete {
                    what: "the stream",
                    message: format!(
                        "it ended after {} event(s) without {}",
                        state.received,
                        E::MARKER
                    ),
                };
                Some((Err(error), state))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk(json: &str) -> GenerateContentResponse {
        serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"))
    }

    #[test]
    fn whole_when_every_candidate_finished_or_the_prompt_was_blocked() {
        let mut end = GenerateContentEnd::default();
        assert!(!end.is_complete(), "nothing came");
        end.observe(&chunk(r#"{"candidates": [{"index": 0}, {"index": 1}]}"#));
        end.observe(&chunk(
            r#"{"candidates": [{"index": 0, "finishReason": "STOP"}]}"#,
        ));
        assert!(!end.is_complete(), "candidate 1 is still open");
        end.observe(&chunk(
            r#"{"candidates": [{"index": 1, "finishReason": "SOME_NEW_REASON"}]}"#,
        ));
        assert!(end.is_complete());

        let mut blocked = GenerateContentEnd::default();
        blocked.observe(&chunk(r#"{"promptFeedback": {"blockReason": "SAFETY"}}"#));
        assert!(blocked.is_complete());
        let mut feedback_only = GenerateContentEnd::default();
        feedback_only.observe(&chunk(r#"{"promptFeedback": {"safetyRatings": []}}"#));
        assert!(!feedback_only.is_complete());
    }
}
