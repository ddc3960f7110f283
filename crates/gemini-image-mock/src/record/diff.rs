//! Why a request missed: the recorded request nearest to it, and what differs, field by field,
//! in the normalised form (so a difference Google would not see is not shown).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::blobs::hex;
use super::normalise::{Norm, RequestKey};

/// At most this many differences are listed.
const MAX_LINES: usize = 12;
/// A value is cut to this many characters.
const MAX_VALUE: usize = 80;

/// The request's fields as `path → value`, leaves only.
pub fn flatten(key: &RequestKey) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    out.insert("method".to_owned(), key.method.clone());
    out.insert("path".to_owned(), key.path.clone());
    out.insert("stream (alt=sse)".to_owned(), key.sse.to_string());
    for (k, v) in &key.query {
        out.insert(format!("query.{k}"), v.clone());
    }
    if let Some(body) = &key.body {
        leaves(body, "body".to_owned(), &mut out);
    }
    out
}

fn leaves(norm: &Norm, path: String, out: &mut BTreeMap<String, String>) {
    match norm {
        Norm::Map(map) => {
            for (k, v) in map {
                leaves(v, format!("{path}.{k}"), out);
            }
        }
        Norm::List(items) => {
            for (i, v) in items.iter().enumerate() {
                leaves(v, format!("{path}[{i}]"), out);
            }
        }
        leaf => {
            out.insert(path, show(leaf));
        }
    }
}

fn show(norm: &Norm) -> String {
    let text = match norm {
        Norm::Bool(b) => b.to_string(),
        Norm::Int(i) => i.to_string(),
        Norm::Float(bits) => f64::from_bits(*bits).to_string(),
        Norm::Text(t) => format!("{t:?}"),
        Norm::Bytes(digest) => format!("bytes sha256:{}", &hex(digest)[..16]),
        Norm::Enum(e) => e.clone(),
        Norm::List(_) | Norm::Map(_) => String::new(),
    };
    if text.chars().count() > MAX_VALUE {
        let cut: String = text.chars().take(MAX_VALUE).collect();
        format!("{cut}…")
    } else {
        text
    }
}

/// How many fields differ between two flattened requests.
pub fn distance(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> usize {
    let changed = a.iter().filter(|(k, v)| b.get(*k) != Some(v)).count();
    changed + b.keys().filter(|k| !a.contains_key(*k)).count()
}

/// The differences, one a line: `  body.x: recorded 1, requested 2`.
pub fn render(recorded: &BTreeMap<String, String>, request: &BTreeMap<String, String>) -> String {
    let mut paths: Vec<&String> = recorded.keys().chain(request.keys()).collect();
    paths.sort();
    paths.dedup();
    let differing: Vec<&String> = paths
        .into_iter()
        .filter(|p| recorded.get(*p) != request.get(*p))
        .collect();
    let mut out = String::new();
    for path in differing.iter().take(MAX_LINES) {
        let _ = match (recorded.get(*path), request.get(*path)) {
            (Some(a), Some(b)) => writeln!(out, "  {path}: recorded {a}, requested {b}"),
            (Some(a), None) => writeln!(out, "  {path}: recorded {a}, absent from the request"),
            (None, Some(b)) => writeln!(out, "  {path}: requested {b}, absent from the recording"),
            (None, None) => Ok(()),
        };
    }
    if differing.len() > MAX_LINES {
        let _ = writeln!(out, "  … and {} more", differing.len() - MAX_LINES);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::normalise::MatchRules;
    use crate::record::tape::{key_of, tests::exchange};

    #[test]
    fn the_diff_names_the_changed_field() {
        // Keyed by the tape's own normaliser, as `Tape::lookup` keys what it compares.
        let key = |text: &str| flatten(&key_of(&exchange(text, ""), MatchRules::default()));
        let (a, b) = (key("a red bicycle"), key("a blue bicycle"));
        assert_eq!(distance(&a, &b), 1);
        assert_eq!(
            render(&a, &b),
            "  body.contents[0].parts[0].text: recorded \"a red bicycle\", requested \"a blue bicycle\"\n"
        );
    }
}
