//! The prompts file of `batch run|submit`: one prompt per line, `KEY<TAB>PROMPT` to name one.

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use crate::failure::Failure;

/// The most a prompts file may hold. Prompts are text: 256 MiB is millions of them, and a
/// larger file is more likely a wrong path (an image, a video) than a batch.
const MAX_PROMPTS_FILE: u64 = 256 * 1024 * 1024;

/// One line of the file: the key its images are named by, and the prompt.
#[derive(Debug, PartialEq, Eq)]
pub struct Prompt {
    pub key: String,
    pub text: String,
}

/// Reads `path` (`-` is stdin).
pub fn read(path: &Path) -> Result<Vec<Prompt>, Failure> {
    let shown = path.display();
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin()
            .take(MAX_PROMPTS_FILE + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_PROMPTS_FILE + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| Failure::Local(format!("{shown}: {e}")))?;
    if bytes.len() as u64 > MAX_PROMPTS_FILE {
        return Err(Failure::Local(format!(
            "{shown}: more than {} MiB of prompts; split it into several batches",
            MAX_PROMPTS_FILE >> 20
        )));
    }
    let text = String::from_utf8(bytes)
        .map_err(|e| Failure::Local(format!("{shown}: not UTF-8 text ({e})")))?;
    parse(&text).map_err(|message| Failure::Local(format!("{shown}: {message}")))
}

/// The prompts of `text`, keyed; an error names the line.
pub fn parse(text: &str) -> Result<Vec<Prompt>, String> {
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_end_matches('\r')))
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .collect();
    // Keys from line numbers sort as the lines do: 0007 before 0012.
    let width = lines.last().map_or(1, |(n, _)| n.to_string().len());
    let mut seen = HashSet::with_capacity(lines.len());
    let mut prompts = Vec::with_capacity(lines.len());
    for (number, line) in lines {
        let (key, text) = match line.split_once('\t') {
            Some((key, text)) => (key.trim().to_string(), text.trim()),
            None => (format!("{number:0width$}"), line.trim()),
        };
        if key.is_empty() {
            return Err(format!("line {number}: an empty key before the tab"));
        }
        if text.is_empty() {
            return Err(format!("line {number}: key {key:?} has no prompt"));
        }
        if !seen.insert(key.clone()) {
            return Err(format!("line {number}: the key {key:?} was used before"));
        }
        prompts.push(Prompt {
            key,
            text: text.to_string(),
        });
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
        assert_eq!(err, "line 5: an empty key before the tab");
        let text = "# a catalogue\nred fox\n\nfox-2\ta fox, running\nblue whale\r\n";
        let prompts = parse(text).unwrap();
        assert_eq!(
            prompts,
            [
                Prompt {
                    key: "2".into(),
                    text: "red fox".into()
                },
                Prompt {
                    key: "fox-2".into(),
                    text: "a fox, running".into()
                },
                Prompt {
                    key: "5".into(),
                    text: "blue whale".into()
                },
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
}
