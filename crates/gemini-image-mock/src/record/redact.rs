//! Secrets out of a recording: redacted when it is made, and a last check over every byte
//! that would be written (the JSON and each blob) that refuses the recording if the caller's
//! key or token is still in it — in a prompt, an echoed error, an image — rather than commit it.

use std::collections::BTreeMap;

use axum::http::HeaderMap;

/// What a credential is replaced by.
pub const REDACTED: &str = "<redacted>";

/// Request headers that carry a credential: kept, their value redacted.
const SECRET_HEADERS: &[&str] = &[
    "x-goog-api-key",
    "authorization",
    "cookie",
    "set-cookie",
    "proxy-authorization",
];

/// Headers about one connection's framing, not the exchange: not recorded, and not forwarded.
pub const FRAMING_HEADERS: &[&str] = &[
    "host",
    "connection",
    "keep-alive",
    "content-length",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-connection",
    // The proxy asks the upstream for an uncompressed body, so that the recording is text.
    "accept-encoding",
    "content-encoding",
];

/// The credentials a request carries (its API key, in a header or `key=`, and a bearer
/// token), which no recording of it may contain.
pub fn secrets(headers: &HeaderMap, query: &[(String, String)]) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    if let Some(key) = headers.get("x-goog-api-key").and_then(|v| v.to_str().ok()) {
        found.push(key.to_owned());
    }
    if let Some(token) = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.strip_prefix("Bearer ").unwrap_or(v))
    {
        found.push(token.to_owned());
    }
    found.extend(
        query
            .iter()
            .filter(|(k, _)| k == "key")
            .map(|(_, v)| v.clone()),
    );
    found.retain(|secret| !secret.trim().is_empty());
    found
}

/// The headers a recording keeps: lower-case names, framing left out, credentials redacted,
/// repeated headers joined with `, `.
pub fn headers(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut kept: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.as_str();
        if FRAMING_HEADERS.contains(&name) {
            continue;
        }
        let value = if SECRET_HEADERS.contains(&name) {
            REDACTED.to_owned()
        } else {
            String::from_utf8_lossy(value.as_bytes()).into_owned()
        };
        kept.entry(name.to_owned())
            .and_modify(|joined| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert(value);
    }
    kept
}

/// The query with `key` redacted.
pub fn query(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| {
            let v = if k == "key" { REDACTED } else { v.as_str() };
            (k.clone(), v.to_owned())
        })
        .collect()
}

/// Refuses `bytes` (a recording's JSON or a blob, named `what`) when a secret is in them.
///
/// # Errors
///
/// A message naming `what`, never the secret.
pub fn check(what: &str, bytes: &[u8], secrets: &[String]) -> Result<(), String> {
    for secret in secrets {
        if memchr::memmem::find(bytes, secret.as_bytes()).is_some() {
            return Err(format!(
                "{what} contains the caller's API key or token; the recording was not written"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn credentials_are_redacted_and_found() {
        let mut map = HeaderMap::new();
        map.insert("x-goog-api-key", HeaderValue::from_static("sk-123456"));
        map.insert("authorization", HeaderValue::from_static("Bearer tok-9"));
        map.insert("x-goog-user-project", HeaderValue::from_static("proj"));
        map.insert("content-length", HeaderValue::from_static("5"));
        let kept = headers(&map);
        assert_eq!(kept["x-goog-api-key"], REDACTED);
        assert_eq!(kept["authorization"], REDACTED);
        assert_eq!(kept["x-goog-user-project"], "proj");
        assert!(!kept.contains_key("content-length"));
        let query_pairs = vec![("key".to_owned(), "qk-1".to_owned())];
        assert_eq!(query(&query_pairs)[0].1, REDACTED);
        let all = secrets(&map, &query_pairs);
        assert_eq!(all, ["sk-123456", "tok-9", "qk-1"]);
        assert!(check("x", b"text sk-123456 text", &all).is_err());
        assert!(check("x", b"text", &all).is_ok());
    }
}
