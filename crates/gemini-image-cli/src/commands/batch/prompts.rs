//! The prompts file of `batch run|submit`: one prompt per line (`KEY<TAB>PROMPT` to name one),
//! or JSONL of whole requests in the shape of Google's batch input file
//! (`{"key": "…", "request": {…}}` a line).

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use gemini_image::types::{BatchInputLine, GenerateContentRequest};

use crate::failure::Failure;

/// The most a prompts file may hold. Prompts are text: 256 MiB is millions of them, and a
/// larger file is more likely a wrong path (an image, a video) than a batch.
const MAX_PROMPTS_FILE: u64 = 256 * 1024 * 1024;

/// One line of the file: the key its images are named by, and what it asks.
#[derive(Debug, PartialEq)]
pub struct Prompt {
    pub key: String,
    pub ask: Ask,
}

/// What a line asks.
#[derive(Debug, PartialEq)]
pub enum Ask {
    /// A prompt, made into a request with the command's options.
    Text(String),
    /// A whole request, sent as written.
    Request(Box<GenerateContentRequest>),
}

/// Reads `path` (`-` is stdin).
pub fn read(path: &Path) -> Result<Vec<Prompt>, Failure> {
    let shown = path.display();
    let read = if path == Path::new("-") {
        read_text(std::io::stdin(), MAX_PROMPTS_FILE)
    } else {
        std::fs::File::open(path)
            .map_err(|e| e.to_string())
            .and_then(|file| read_text(file, MAX_PROMPTS_FILE))
    };
    let text = read.map_err(|message| Failure::Local(format!("{shown}: {message}")))?;
    parse(&text).map_err(|message| Failure::Local(format!("{shown}: {message}")))
}

/// At most `max` bytes of UTF-8 text from `source`; more is refused, not cut.
fn read_text(source: impl Read, max: u64) -> Result<String, String> {
    let mut bytes = Vec::new();
    source
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| e.to_string())?;
    if bytes.len() as u64 > max {
        return Err(format!(
            "more than {} of prompts; split it into several batches",
            if max >= 1 << 20 {
                format!("{} MiB", max >> 20)
            } else {
                format!("{max} bytes")
            }
        ));
    }
    String::from_utf8(bytes).map_err(|e| format!("not UTF-8 text ({e})"))
}

/// The prompts of `text`, keyed; an error names the line. JSONL when the first line that is
/// not blank or a comment is a JSON object.
pub fn parse(text: &str) -> Result<Vec<Prompt>, String> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_end_matches('\r')))
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .collect();
    // Keys from line numbers sort as the lines do: 0007 before 0012.
    let width = lines.last().map_or(1, |(n, _)| n.to_string().len());
    let jsonl = lines
        .first()
        .is_some_and(|(_, line)| line.trim_start().starts_with('{'));
    let mut seen = HashSet::with_capacity(lines.len());
    let mut prompts = Vec::with_capacity(lines.len());
    for (number, line) in lines {
        let numbered = || format!("{number:0width$}");
        let (key, ask) = if jsonl {
            let parsed: BatchInputLine = serde_json::from_str(line)
                .map_err(|e| format!("line {number}: not a batch input line ({e})"))?;
            let request = parsed
                .request
                .ok_or_else(|| format!("line {number}: no \"request\""))?;
            let key = parsed.key.unwrap_or_else(numbered);
            (key, Ask::Request(Box::new(request)))
        } else {
            let (key, text) = match line.split_once('\t') {
                Some((key, text)) => (key.trim().to_string(), text.trim()),
                None => (numbered(), line.trim()),
            };
            if text.is_empty() {
                return Err(format!("line {number}: key {key:?} has no prompt"));
            }
            (key, Ask::Text(text.to_string()))
        };
        if key.is_empty() {
            return Err(format!("line {number}: an empty key"));
        }
        if !seen.insert(key.clone()) {
            return Err(format!("line {number}: the key {key:?} was used before"));
        }
        prompts.push(Prompt { key, ask });
    }
    Ok(prompts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        parse(text).unwrap().into_iter().map(|p| p.key).collect()
    }

    #[test]
    fn lines_are_keyed_by_number_or_by_their_own_key() {
        let text = "# a catalogue\nred fox\n\nfox-2\ta fox, running\n\ta heron\nblue whale\r\n";
        let err = parse(text).unwrap_err();
        assert_eq!(err, "line 5: an empty key");
        let text = "# a catalogue\nred fox\n\nfox-2\ta fox, running\nblue whale\r\n";
        let prompts = parse(text).unwrap();
        let prompt = |key: &str, text: &str| Prompt {
            key: key.into(),
            ask: Ask::Text(text.into()),
        };
        assert_eq!(
            prompts,
            [
                prompt("2", "red fox"),
                prompt("fox-2", "a fox, running"),
                prompt("5", "blue whale"),
            ]
        );
    }

    #[test]
    fn numbered_keys_are_padded_to_sort_as_the_lines() {
        let text: String = (1..=12).map(|i| format!("prompt {i}\n")).collect();
        let keys = keys(&text);
        assert_eq!(keys.first().map(String::as_str), Some("01"));
        assert_eq!(keys.last().map(String::as_str), Some("12"));
    }

    #[test]
    fn a_key_twice_or_a_key_without_a_prompt_is_refused_by_line() {
        assert_eq!(
            parse("a\tfox\na\twhale\n").unwrap_err(),
            "line 2: the key \"a\" was used before"
        );
        assert_eq!(
            parse("a\t \n").unwrap_err(),
            "line 1: key \"a\" has no prompt"
        );
        assert!(parse("# only a comment\n\n").unwrap().is_empty());
    }

    #[test]
    fn a_file_past_the_bound_is_refused_whole_and_so_is_one_not_utf8() {
        let full = "a fox\n".repeat(10);
        assert_eq!(read_text(full.as_bytes(), 60).unwrap(), full);
        assert_eq!(
            read_text(full.as_bytes(), 59).unwrap_err(),
            "more than 59 bytes of prompts; split it into several batches"
        );
        let err = read_text(&b"a \xff fox"[..], 60).unwrap_err();
        assert!(err.starts_with("not UTF-8 text"), "{err}");
    }

    #[test]
    fn jsonl_lines_are_whole_requests_in_the_batch_input_shape() {
        let text = concat!(
            "# requests\n",
            r#"{"key": "fox", "request": {"contents": [{"parts": [{"text": "a fox"}]}], "generationConfig": {"imageConfig": {"aspectRatio": "16:9"}}}}"#,
            "\n",
            r#"{"request": {"contents": [{"parts": [{"text": "a whale"}]}]}}"#,
            "\n",
        );
        let prompts = parse(text).unwrap();
        assert_eq!(keys(text), ["fox", "3"]);
        let Ask::Request(request) = &prompts[0].ask else {
            panic!("a request: {prompts:?}");
        };
        let config = request.generation_config.as_ref().unwrap();
        let ratio = config.image_config.as_ref().unwrap().aspect_ratio.as_ref();
        assert_eq!(ratio.map(|r| r.to_string()).as_deref(), Some("16:9"));
        let err = parse("{\"key\": \"a\"}\n").unwrap_err();
        assert_eq!(err, "line 1: no \"request\"");
        let err = parse("{\"request\": {\"contents\": []}}\nnot json\n").unwrap_err();
        assert!(err.starts_with("line 2: not a batch input line"), "{err}");
    }
}
