//! "Copy as curl": a journaled request as a command that sends it again, the key as
//! `$GEMINI_API_KEY` (the journal never held it) and a Vertex AI token from `gcloud`.

use crate::journal::JournalEntry;

/// Request headers worth sending again: the API's and the mock's own. Hop-by-hop and
/// client-specific ones (`host`, `user-agent`, `content-length`…) are left to curl.
fn resent(name: &str) -> bool {
    (name.starts_with("x-goog-") || name.starts_with("x-mock-") || name == "content-type")
        && !matches!(name, "x-goog-api-key" | "x-goog-api-client")
}

/// The command, one option a line.
pub fn command(entry: &JournalEntry) -> String {
    let host = entry
        .headers
        .get("host")
        .map_or("127.0.0.1:8080", String::as_str);
    let query: Vec<(&str, &str)> = entry
        .query
        .iter()
        .filter(|(name, _)| name.as_str() != "key")
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let mut url = format!("http://{host}{}", entry.path);
    if !query.is_empty() {
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        url = format!("{url}?{encoded}");
    }
    let mut lines = vec![format!("curl {}", quote(&url))];
    if entry.method != "GET" || entry.body.is_some() {
        lines.push(format!("-X {}", quote(&entry.method)));
    }
    for (name, value) in &entry.headers {
        if resent(name) {
            lines.push(format!("-H {}", quote(&format!("{name}: {value}"))));
        }
    }
    let had_key = entry.headers.contains_key("x-goog-api-key") || entry.query.contains_key("key");
    if had_key {
        lines.push(r#"-H "x-goog-api-key: $GEMINI_API_KEY""#.to_string());
    }
    if entry.headers.contains_key("authorization") {
        lines.push(r#"-H "Authorization: Bearer $(gcloud auth print-access-token)""#.to_string());
    }
    if let Some(body) = &entry.body {
        let text = serde_json::to_string_pretty(body).unwrap_or_default();
        lines.push(format!("--data-binary {}", quote(&text)));
    }
    lines.join(" \\\n  ")
}

/// `text` as one POSIX shell word: single quotes, each `'` written `'\''`.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quote_cannot_end_the_word() {
        assert_eq!(quote("it's $HOME"), r"'it'\''s $HOME'");
    }
}
