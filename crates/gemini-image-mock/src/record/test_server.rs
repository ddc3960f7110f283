//! `google/test-server`'s recordings (the Go record/replay proxy Google's SDKs test with): a
//! `{recordID, interactions}` file read into our exchanges, and our exchanges written as such
//! files, each request's `shaSum` computed as test-server computes it (the SHA-256 of Go's
//! `json.MarshalIndent` of the redacted request, the previous request's hash inside it).
//!
//! What the format cannot hold: a body that is not JSON. test-server stops on a binary request
//! body and drops a binary answer, so an export leaves out the exchanges with one (an upload's
//! chunks, a download), saying so. Its hash covers every header the client sends; ours keeps
//! the headers the client sent except the connection's framing, so an export adds the
//! `Content-Length` of a body back and leaves the credentials out (list them in test-server's
//! `redact_request_headers`, as Google's SDKs do); a client sending other headers than it did
//! when recorded (a new SDK version's `User-Agent`) misses there as it would have anyway.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::blobs::hex;
use super::foreign::{Imported, Interaction, Payload, Plain, streams};

/// The `previousRequest` of the first request of a file (test-server's `HeadSHA`).
const HEAD_SHA: &str = "b4d6e60a9b97e7b98c63df9308728c5c88c0b40c398046772c63447b94608b4d";
/// The headers an export leaves out of a request: credentials (test-server deletes the ones
/// its configuration lists before hashing).
const LEFT_OUT: &[&str] = &[
    "x-goog-api-key",
    "authorization",
    "x-goog-user-project",
    "cookie",
];

#[derive(Deserialize)]
struct RecordFile {
    interactions: Vec<Interaction<Nothing>>,
}

/// test-server's response holds nothing besides the shared fields.
#[derive(Deserialize)]
struct Nothing {}

/// The exchanges of one recording file, in order.
///
/// # Errors
///
/// Not a test-server recording.
pub fn read(text: &[u8]) -> Result<Vec<Result<Imported, String>>, String> {
    let file: RecordFile =
        serde_json::from_slice(text).map_err(|e| format!("not a test-server recording: {e}"))?;
    Ok(file.interactions.iter().map(|i| Ok(one(i))).collect())
}

fn one(interaction: &Interaction<Nothing>) -> Imported {
    let request = &interaction.request;
    let response = &interaction.response;
    let response_body = if streams(&request.url) {
        Payload::Empty
    } else {
        payload(response.body_segments.first())
    };
    // A status Go left out as empty is 200.
    let status = match response.status_code {
        0 => 200,
        status => status,
    };
    interaction.import(
        &request.url,
        payload(request.body_segments.first()),
        status,
        response_body,
    )
}

fn payload(segment: Option<&Value>) -> Payload {
    match segment {
        None | Some(Value::Null) => Payload::Empty,
        Some(value) => Payload::Json(value.clone()),
    }
}

/// `exchanges` as test-server recordings: one file `{name}.json` whose requests chain, or
/// without a name one `{shaSum}.json` per exchange.
pub fn write(
    name: Option<&str>,
    exchanges: &[(String, Plain)],
    skipped: &mut Vec<String>,
) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut chained = Vec::new();
    let mut previous = HEAD_SHA.to_owned();
    for (file, plain) in exchanges {
        let previous_request = if name.is_some() { &previous } else { HEAD_SHA };
        match interaction(plain, previous_request) {
            Ok((sha, interaction)) => {
                if name.is_some() {
                    chained.push(interaction);
                    previous = sha;
                } else {
                    let record = record_file(&sha, vec![interaction]);
                    files.push((format!("{sha}.json"), record));
                }
            }
            Err(why) => skipped.push(format!("{file}: {why}")),
        }
    }
    if let Some(name) = name {
        files.push((format!("{name}.json"), record_file(name, chained)));
    }
    files
}

fn record_file(id: &str, interactions: Vec<Value>) -> Vec<u8> {
    let file = json!({"recordID": id, "interactions": interactions});
    let mut out = String::new();
    go_indent(&omit_empty(file), 0, &mut out);
    out.into_bytes()
}

/// One interaction and its request's hash.
fn interaction(plain: &Plain, previous: &str) -> Result<(String, Value), String> {
    let body = match &plain.request_body {
        Payload::Bytes(_) => return Err("test-server cannot hold a binary request body".into()),
        Payload::Empty => None,
        Payload::Json(value) => Some(value),
    };
    let response_segments: Vec<Value> = match (&plain.events, &plain.response_body) {
        (Some(events), _) => events
            .iter()
            .filter_map(|event| match event {
                Payload::Json(value) => Some(sorted(value)),
                Payload::Empty | Payload::Bytes(_) => None,
            })
            .collect(),
        (None, Payload::Bytes(_)) => {
            return Err("test-server drops a body that is not JSON (a download)".into());
        }
        (None, Payload::Empty) => Vec::new(),
        (None, Payload::Json(value)) => vec![sorted(value)],
    };
    let url = plain.url();
    let mut headers: BTreeMap<String, String> = plain
        .request_headers
        .iter()
        .filter(|(k, _)| !LEFT_OUT.contains(&k.as_str()))
        .map(|(k, v)| (canonical(k), v.clone()))
        .collect();
    if let Some(length) = plain.request_length {
        headers.insert("Content-Length".into(), length.to_string());
    }
    let request = omit_empty(json!({
        "method": plain.method,
        "url": url,
        "request": format!("{} {url} HTTP/1.1", plain.method),
        "headers": headers,
        "bodySegments": [body.map_or(Value::Null, sorted)],
        "previousRequest": previous,
        "serverAddress": "generativelanguage.googleapis.com",
        "port": 443,
        "protocol": "https",
    }));
    let mut text = String::new();
    go_indent(&request, 0, &mut text);
    let sha = hex(&Sha256::digest(text.as_bytes()));
    let response_headers: BTreeMap<String, String> = plain
        .response_headers
        .iter()
        .map(|(k, v)| (canonical(k), v.clone()))
        .collect();
    let response = json!({
        "statusCode": plain.status,
        "headers": response_headers,
        "bodySegments": response_segments,
    });
    Ok((
        sha.clone(),
        json!({"request": request, "shaSum": sha, "response": omit_empty(response)}),
    ))
}

/// Go's canonical header name: `x-goog-api-key` → `X-Goog-Api-Key`.
fn canonical(name: &str) -> String {
    let mut upper = true;
    name.chars()
        .map(|c| {
            let out = if upper {
                c.to_ascii_uppercase()
            } else {
                c.to_ascii_lowercase()
            };
            upper = c == '-';
            out
        })
        .collect()
}

/// `value` with every object's keys in byte order, as Go writes a `map[string]any`.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), sorted(&map[k])))
                    .collect::<Map<_, _>>(),
            )
        }
        other => other.clone(),
    }
}

/// A struct's top-level fields as Go's `omitempty` leaves them: no `""`, `0`, empty map or
/// empty list (a list holding `null` is kept).
fn omit_empty(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| match v {
                    Value::String(s) => !s.is_empty(),
                    Value::Number(n) => n.as_f64() != Some(0.0),
                    Value::Object(m) => !m.is_empty(),
                    Value::Array(a) => !a.is_empty(),
                    Value::Null => false,
                    Value::Bool(_) => true,
                })
                .collect(),
        ),
        other => other,
    }
}

/// Go's `json.MarshalIndent(value, "", "  ")` of a value whose keys are already in the order
/// Go writes them (struct order, or sorted for maps).
fn go_indent(value: &Value, depth: usize, out: &mut String) {
    let pad = |out: &mut String, depth: usize| {
        out.push('\n');
        (0..depth).for_each(|_| out.push_str("  "));
    };
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&go_number(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => go_string(s, out),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pad(out, depth + 1);
                go_indent(item, depth + 1, out);
            }
            pad(out, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            out.push('{');
            for (i, (key, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                pad(out, depth + 1);
                go_string(key, out);
                out.push_str(": ");
                go_indent(item, depth + 1, out);
            }
            pad(out, depth);
            out.push('}');
        }
    }
}

/// A JSON number as Go writes a `float64` (every JSON number Go decodes into `any` is one).
fn go_number(f: f64) -> String {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Go's 'e' format, its exponent cleaned of a leading zero: 1e-7, 1e+21.
        let text = format!("{f:e}");
        return match text.split_once('e') {
            Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                format!("{mantissa}e+{exponent}")
            }
            _ => text,
        };
    }
    format!("{f}")
}

/// A string as Go's encoder escapes it (HTML-safe).
fn go_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request of googleapis/js-genai's test-server recordings
    /// (`Client_Tests_ML_Dev_should_generate_content_with_per-request_retry_options.json`) and
    /// the `shaSum` test-server gave it.
    const RECORDED: &str = r#"{
  "method": "POST",
  "url": "/v1beta/models/gemini-2.5-flash:generateContent",
  "request": "POST /v1beta/models/gemini-2.5-flash:generateContent HTTP/1.1",
  "headers": {
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Accept-Language": "*",
    "Connection": "keep-alive",
    "Content-Length": "173",
    "Content-Type": "application/json",
    "Sec-Fetch-Mode": "cors",
    "Test-Name": "Client Tests ML Dev should generate content with per-request retry options"
  },
  "bodySegments": [
    {
      "contents": [
        {
          "parts": [
            {
              "text": "why is the sky blue?"
            }
          ],
          "role": "user"
        }
      ],
      "generationConfig": {
        "candidateCount": 1,
        "maxOutputTokens": 200,
        "thinkingConfig": {
          "thinkingBudget": 50
        }
      }
    }
  ],
  "previousRequest": "b4d6e60a9b97e7b98c63df9308728c5c88c0b40c398046772c63447b94608b4d",
  "serverAddress": "generativelanguage.googleapis.com",
  "port": 443,
  "protocol": "https"
}"#;

    #[test]
    fn the_hash_is_test_servers() {
        let value: Value = serde_json::from_str(RECORDED).unwrap();
        let mut text = String::new();
        go_indent(&omit_empty(value), 0, &mut text);
        assert_eq!(text, RECORDED);
        assert_eq!(
            hex(&Sha256::digest(text.as_bytes())),
            "550d48a2850cd10f154574b79ea5854d49697f1cad20c1c9728b5173ba6bd925"
        );
    }

    #[test]
    fn go_writes_numbers_strings_and_names_this_way() {
        assert_eq!(go_number(5.0), "5");
        assert_eq!(go_number(0.5), "0.5");
        assert_eq!(go_number(1e-7), "1e-7");
        assert_eq!(go_number(1e21), "1e+21");
        assert_eq!(go_number(123_456_789.0), "123456789");
        let mut out = String::new();
        go_string("a<b>&\"\n\u{1}é", &mut out);
        assert_eq!(out, r#""a\u003cb\u003e\u0026\"\n\u0001é""#);
        assert_eq!(canonical("x-goog-api-key"), "X-Goog-Api-Key");
        let mut text = String::new();
        go_indent(&json!({"a": [null], "b": {}, "c": []}), 0, &mut text);
        assert_eq!(
            text,
            "{\n  \"a\": [\n    null\n  ],\n  \"b\": {},\n  \"c\": []\n}"
        );
    }
}
