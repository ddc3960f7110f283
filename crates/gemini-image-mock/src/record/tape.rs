//! The recordings of one directory: their request keys in file order, which recording answers
//! a request next (identical requests in recorded order, then the last one again), and writing
//! a new one (redaction checked, bounded, through a temporary name and a rename).
//!
//! Only the keys are held in memory (a request's text and its images' hashes); a recording's
//! file and blobs are read when it answers. What the admin API shows is kept beside them: how
//! often each recording answered, and the last misses (bounded).

use std::collections::{HashMap, VecDeque};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::blobs::{BLOB_DIR, Blob};
use super::diff;
use super::exchange::{self, Exchange};
use super::normalise::{KeyBody, MatchRules, RequestKey};
use super::redact;

/// How many misses the admin API remembers (the oldest are forgotten first).
const MAX_MISSES: usize = 64;

/// What answers a request.
pub enum Lookup {
    /// This recording.
    Hit(PathBuf),
    /// None: the nearest recording (its file name) and what differs, when there is one.
    Miss(Option<(String, String)>),
    /// Every recording of this request was used and `repeat_last` is off.
    Exhausted(usize),
}

/// The bounds a directory is loaded and written within.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// One recording: its JSON and its blobs.
    pub exchange: usize,
    /// The whole directory: every file in it, blobs included — checked when it is opened, and
    /// before each recording is written.
    pub total: u64,
}

/// The loaded directory.
pub struct Tape {
    dir: PathBuf,
    rules: MatchRules,
    repeat_last: bool,
    max_exchange_bytes: usize,
    max_total_bytes: u64,
    state: Mutex<State>,
}

/// One recording as the admin API lists it.
pub struct Listed {
    /// Its file name.
    pub file: String,
    /// Its request's method.
    pub method: String,
    /// Its request's path (the version segment as `{version}` unless it counts).
    pub path: String,
    /// Whether it is a stream.
    pub sse: bool,
    /// How many times it answered since the tape was opened or rewound.
    pub hits: u64,
}

/// A request no recording answered.
#[derive(Clone)]
pub struct Missed {
    /// Its method.
    pub method: String,
    /// Its path, as sent.
    pub path: String,
    /// The nearest recording's file name, when there is one.
    pub nearest: Option<String>,
    /// What differs from it.
    pub diff: Option<String>,
}

#[derive(Default)]
struct State {
    /// Each recording's file name and key, in file order.
    entries: Vec<(String, RequestKey)>,
    /// How many times each entry answered.
    hits: Vec<u64>,
    /// Per key, its recordings (indices into `entries`) and how many were used.
    sequences: HashMap<RequestKey, (Vec<usize>, usize)>,
    /// The last misses, oldest first.
    misses: VecDeque<Missed>,
    /// The number the next recording's file name starts with.
    next_number: u64,
    /// The bytes of the directory's files: found at open, added to by each write.
    bytes: u64,
}

impl State {
    fn add(&mut self, name: String, key: RequestKey) {
        let index = self.entries.len();
        self.sequences.entry(key.clone()).or_default().0.push(index);
        self.entries.push((name, key));
        self.hits.push(0);
    }
}

impl Tape {
    /// Loads the recordings in `dir` (created when missing).
    ///
    /// # Errors
    ///
    /// A directory that cannot be read or created, or a recording that cannot be read, is not
    /// this format, or is over `max_exchange_bytes` — named, so it can be fixed.
    pub fn open(
        dir: &Path,
        rules: MatchRules,
        repeat_last: bool,
        bounds: Bounds,
    ) -> io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let bytes = check_total(dir, bounds.total)?;
        let max_exchange_bytes = bounds.exchange;
        let mut state = State {
            bytes,
            ..State::default()
        };
        for name in names(dir)? {
            let path = dir.join(&name);
            let exchange = read(&path, max_exchange_bytes)?;
            state.next_number = state.next_number.max(number_of(&name) + 1);
            state.add(name, key_of(&exchange, rules));
        }
        Ok(Self {
            dir: dir.to_owned(),
            rules,
            repeat_last,
            max_exchange_bytes,
            max_total_bytes: bounds.total,
            state: Mutex::new(state),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The rules requests are compared with.
    pub fn rules(&self) -> MatchRules {
        self.rules
    }

    /// The bound of one recording's bytes (JSON and blobs).
    pub fn max_exchange_bytes(&self) -> usize {
        self.max_exchange_bytes
    }

    /// How many recordings are loaded.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// The recording that answers `key` now, and the sequence moves on.
    pub fn lookup(&self, key: &RequestKey) -> Lookup {
        let mut state = self.lock();
        let State {
            entries,
            sequences,
            hits,
            ..
        } = &mut *state;
        if let Some((indices, used)) = sequences.get_mut(key) {
            let index = match indices.get(*used) {
                Some(index) => *index,
                None if self.repeat_last => match indices.last() {
                    Some(index) => *index,
                    None => return Lookup::Exhausted(0),
                },
                None => return Lookup::Exhausted(indices.len()),
            };
            *used += 1;
            if let Some(count) = hits.get_mut(index) {
                *count += 1;
            }
            return Lookup::Hit(self.dir.join(&entries[index].0));
        }
        let wanted = diff::flatten(key);
        let nearest = entries
            .iter()
            .map(|(name, recorded)| (name, diff::flatten(recorded)))
            .min_by_key(|(_, recorded)| diff::distance(recorded, &wanted))
            .map(|(name, recorded)| (name.clone(), diff::render(&recorded, &wanted)));
        Lookup::Miss(nearest)
    }

    /// Remembers a request no recording answered, for the admin API.
    pub fn note_miss(&self, missed: Missed) {
        let mut state = self.lock();
        if state.misses.len() == MAX_MISSES {
            state.misses.pop_front();
        }
        state.misses.push_back(missed);
    }

    /// Every recording in file order with its hits, and the last misses.
    pub fn listing(&self) -> (Vec<Listed>, Vec<Missed>) {
        let state = self.lock();
        let listed = state
            .entries
            .iter()
            .zip(&state.hits)
            .map(|((file, key), hits)| Listed {
                file: file.clone(),
                method: key.method.clone(),
                path: key.path.clone(),
                sse: key.sse,
                hits: *hits,
            })
            .collect();
        (listed, state.misses.iter().cloned().collect())
    }

    /// Every sequence back to its first recording; the hits and misses counted from zero.
    pub fn rewind(&self) {
        let mut state = self.lock();
        for (_, used) in state.sequences.values_mut() {
            *used = 0;
        }
        state.hits.iter_mut().for_each(|hits| *hits = 0);
        state.misses.clear();
    }

    /// Writes `exchange` and its blobs, after checking that no secret is in any of their bytes
    /// and that they fit the bound; the recording answers its request from now on (after the
    /// ones before it).
    ///
    /// # Errors
    ///
    /// The reason it was not written (a secret in it, over the bound, I/O), fit for the
    /// caller to read.
    pub fn write(
        &self,
        exchange: &Exchange,
        blobs: &[Blob],
        secrets: &[String],
    ) -> Result<String, String> {
        let json = serde_json::to_vec_pretty(exchange).map_err(|e| e.to_string())?;
        let size = json.len() + blobs.iter().map(|b| b.bytes.len()).sum::<usize>();
        if size > self.max_exchange_bytes {
            return Err(format!(
                "the exchange is {size} bytes, over the recording bound of {} bytes; it was not \
                 recorded",
                self.max_exchange_bytes
            ));
        }
        redact::check("the recording", &json, secrets)?;
        for blob in blobs {
            redact::check(&format!("{BLOB_DIR}/{}", blob.name), &blob.bytes, secrets)?;
        }
        let blob_dir = self.dir.join(BLOB_DIR);
        let new_blobs: Vec<&Blob> = blobs
            .iter()
            .filter(|blob| !blob_dir.join(&blob.name).exists())
            .collect();
        let adding = (json.len() + new_blobs.iter().map(|b| b.bytes.len()).sum::<usize>()) as u64;
        self.reserve(adding)?;
        let written = (|| {
            for blob in &new_blobs {
                std::fs::create_dir_all(&blob_dir).map_err(|e| e.to_string())?;
                write_new(&blob_dir.join(&blob.name), &blob.bytes)?;
            }
            let key = key_of(exchange, self.rules);
            let mut state = self.lock();
            let name = file_name(state.next_number, &exchange.request.path);
            write_new(&self.dir.join(&name), &json)?;
            state.next_number += 1;
            state.add(name.clone(), key);
            Ok(name)
        })();
        if written.is_err() {
            let mut state = self.lock();
            state.bytes = state.bytes.saturating_sub(adding);
        }
        written
    }

    /// Counts `adding` bytes against the directory's bound, or refuses them: a directory
    /// recorded past its bound would be refused at the next start, so the recording stops
    /// here, with what to do, and every recording before it stays as it is.
    fn reserve(&self, adding: u64) -> Result<(), String> {
        let mut state = self.lock();
        let after = state.bytes.saturating_add(adding);
        if after > self.max_total_bytes {
            return Err(format!(
                "the recordings would hold {after} bytes, past the bound of {} bytes \
                 (--recordings-total-mb, RecordingOptions::max_total_bytes); it was not \
                 recorded, the recordings before it are kept: raise the bound or record into \
                 another directory",
                self.max_total_bytes
            ));
        }
        state.bytes = after;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The recordings' file names in `dir`, in the order they answer.
///
/// # Errors
///
/// The directory cannot be read.
pub fn names(dir: &Path) -> io::Result<Vec<String>> {
    let mut names: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json") && !name.starts_with('.'))
        .collect();
    names.sort();
    Ok(names)
}

/// Reads one recording, refusing one over `limit` bytes or not of this format.
///
/// # Errors
///
/// I/O, size, JSON or format, with the file's name.
pub fn read(path: &Path, limit: usize) -> io::Result<Exchange> {
    let size = std::fs::metadata(path)?.len();
    if size > limit as u64 {
        return Err(invalid(format!(
            "{}: {size} bytes, over the recording bound of {limit}",
            path.display()
        )));
    }
    let bytes = std::fs::read(path)?;
    let exchange: Exchange = serde_json::from_slice(&bytes)
        .map_err(|e| invalid(format!("{}: not a recording: {e}", path.display())))?;
    if exchange.format != exchange::FORMAT {
        return Err(invalid(format!(
            "{}: format {:?}, expected {:?}",
            path.display(),
            exchange.format,
            exchange::FORMAT
        )));
    }
    Ok(exchange)
}

/// The bytes of a directory's files (recordings and blobs); refuses one that holds more than
/// `bound`: a replay must not start on more than it was sized for.
fn check_total(dir: &Path, bound: u64) -> io::Result<u64> {
    let mut total: u64 = 0;
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                folders.push(entry.path());
            } else {
                total = total.saturating_add(entry.metadata()?.len());
            }
            if total > bound {
                return Err(invalid(format!(
                    "{}: the recordings hold more than the bound of {bound} bytes \
                     (--recordings-total-mb, RecordingOptions::max_total_bytes); raise it or \
                     split the directory",
                    dir.display()
                )));
            }
        }
    }
    Ok(total)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// The key of a recorded request, as a live one's would be.
pub fn key_of(exchange: &Exchange, rules: MatchRules) -> RequestKey {
    let request = &exchange.request;
    // A JSON body kept as text (its layout is not one `exchange` writes back) is keyed as JSON,
    // as the same body arriving live is.
    let parsed: Option<serde_json::Value> = request
        .body
        .body_text
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok());
    let body = if let Some(value) = &request.body.body {
        KeyBody::Json(value)
    } else if let Some(value) = &parsed {
        KeyBody::Json(value)
    } else if let Some(text) = &request.body.body_text {
        KeyBody::Bytes(text.as_bytes())
    } else if let Some(digest) = request
        .body
        .body_blob
        .as_deref()
        .and_then(super::blobs::path_digest)
    {
        KeyBody::Digest(digest)
    } else {
        KeyBody::Empty
    };
    RequestKey::new(
        &request.method,
        &request.path,
        &request.query,
        request.headers.get("accept").map(String::as_str),
        &body,
        rules,
    )
}

/// `000012-gemini-3.1-flash-image.generateContent.json`: the order, then what was called.
fn file_name(number: u64, path: &str) -> String {
    let last = path.rsplit('/').next().unwrap_or("");
    let what: String = last
        .chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '.' | '-' | '_' => c,
            _ => '.',
        })
        .take(80)
        .collect();
    let what = what.trim_start_matches('.');
    if what.is_empty() {
        format!("{number:06}.json")
    } else {
        format!("{number:06}-{what}.json")
    }
}

/// The number a recording's name starts with (0 for a name written by hand).
fn number_of(name: &str) -> u64 {
    name.split(['-', '.'])
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// Writes `bytes` to `path` through a temporary name, so a reader never sees half a file.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let temporary = path.with_extension("partial");
    std::fs::write(&temporary, bytes)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&temporary);
            format!("{}: {e}", path.display())
        })
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::record::exchange::{RecordedBody, RecordedRequest, RecordedResponse};
    use std::collections::BTreeMap;

    /// The recordings a key has, for tests of the sequence rule.
    fn counts(tape: &Tape) -> BTreeMap<String, usize> {
        tape.lock()
            .entries
            .iter()
            .fold(BTreeMap::new(), |mut out, (_, key)| {
                *out.entry(key.path.clone()).or_default() += 1;
                out
            })
    }

    /// A recorded `generateContent` of the prompt `text`, answered `answer`.
    pub(in crate::record) fn exchange(text: &str, answer: &str) -> Exchange {
        Exchange {
            format: exchange::FORMAT.to_owned(),
            request: RecordedRequest {
                method: "POST".into(),
                path: "/v1beta/models/m:generateContent".into(),
                query: Vec::new(),
                headers: BTreeMap::new(),
                body: RecordedBody {
                    body: Some(serde_json::json!({"contents": [{"parts": [{"text": text}]}]})),
                    ..RecordedBody::default()
                },
            },
            response: RecordedResponse {
                status: 200,
                headers: BTreeMap::new(),
                body: RecordedBody {
                    body_text: Some(answer.into()),
                    ..RecordedBody::default()
                },
                sse: None,
            },
        }
    }

    fn bounds(exchange: usize) -> Bounds {
        Bounds {
            exchange,
            total: u64::MAX,
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tape-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn identical_requests_replay_in_order_then_the_last_repeats() {
        let dir = temp_dir("order");
        let tape = Tape::open(&dir, MatchRules::default(), true, bounds(1 << 20)).unwrap();
        let first = tape.write(&exchange("hi", "one"), &[], &[]).unwrap();
        let second = tape.write(&exchange("hi", "two"), &[], &[]).unwrap();
        assert!(first < second, "{first} {second}");
        assert_eq!(counts(&tape).len(), 1);

        let again = Tape::open(&dir, MatchRules::default(), false, bounds(1 << 20)).unwrap();
        let key = key_of(&exchange("hi", ""), MatchRules::default());
        let hit = |l: Lookup| match l {
            Lookup::Hit(path) => path.file_name().and_then(|n| n.to_str()).map(String::from),
            _ => None,
        };
        assert_eq!(hit(again.lookup(&key)), Some(first.clone()));
        assert_eq!(hit(again.lookup(&key)), Some(second.clone()));
        assert!(matches!(again.lookup(&key), Lookup::Exhausted(2)));
        again.rewind();
        assert_eq!(hit(again.lookup(&key)), Some(first));

        let repeating = Tape::open(&dir, MatchRules::default(), true, bounds(1 << 20)).unwrap();
        repeating.lookup(&key);
        repeating.lookup(&key);
        assert_eq!(hit(repeating.lookup(&key)), Some(second));
        let Lookup::Miss(Some((_, diff))) =
            repeating.lookup(&key_of(&exchange("ho", ""), MatchRules::default()))
        else {
            panic!("a different request must miss with a diff");
        };
        assert!(diff.contains("recorded \"hi\", requested \"ho\""), "{diff}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_json_body_kept_as_text_is_keyed_as_json() {
        let mut as_text = exchange("hi", "");
        let body = serde_json::json!({"contents": [{"parts": [{"text": "hi"}]}]});
        // Non-ASCII escaped as Python writes it: no layout writes it back, so it stays text.
        as_text.request.body = RecordedBody {
            body_text: Some(r#"{"contents": [{"parts": [{"text": "h\u0069"}]}]}"#.into()),
            ..RecordedBody::default()
        };
        let live = RequestKey::new(
            "POST",
            "/v1beta/models/m:generateContent",
            &[],
            None,
            &KeyBody::Json(&body),
            MatchRules::default(),
        );
        assert_eq!(key_of(&as_text, MatchRules::default()), live);
    }

    #[test]
    fn hits_and_misses_are_counted_and_rewound() {
        let dir = temp_dir("counted");
        let tape = Tape::open(&dir, MatchRules::default(), true, bounds(1 << 20)).unwrap();
        let name = tape.write(&exchange("hi", "one"), &[], &[]).unwrap();
        let key = key_of(&exchange("hi", ""), MatchRules::default());
        tape.lookup(&key);
        tape.lookup(&key);
        for n in 0..MAX_MISSES + 3 {
            tape.note_miss(Missed {
                method: "POST".into(),
                path: format!("/{n}"),
                nearest: None,
                diff: None,
            });
        }
        let (listed, misses) = tape.listing();
        assert_eq!(listed.len(), 1);
        assert_eq!(
            (listed[0].file.as_str(), listed[0].hits),
            (name.as_str(), 2)
        );
        assert_eq!(listed[0].path, "/{version}/models/m:generateContent");
        assert_eq!(misses.len(), MAX_MISSES);
        assert_eq!(misses[0].path, "/3");
        tape.rewind();
        let (listed, misses) = tape.listing();
        assert_eq!(listed[0].hits, 0);
        assert!(misses.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_over_its_total_bound_is_refused_by_name() {
        let dir = temp_dir("total");
        let tape = Tape::open(&dir, MatchRules::default(), true, bounds(1 << 20)).unwrap();
        tape.write(&exchange("hi", &"x".repeat(2000)), &[], &[])
            .unwrap();
        let small = Bounds {
            exchange: 1 << 20,
            total: 1000,
        };
        let error = Tape::open(&dir, MatchRules::default(), true, small)
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains(&dir.display().to_string()), "{error}");
        assert!(error.contains("the bound of 1000 bytes"), "{error}");
        let roomy = Bounds {
            exchange: 1 << 20,
            total: 1 << 20,
        };
        assert!(Tape::open(&dir, MatchRules::default(), true, roomy).is_ok());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_recording_with_a_secret_or_over_the_bound_is_refused() {
        let dir = temp_dir("refused");
        let tape = Tape::open(&dir, MatchRules::default(), true, bounds(400)).unwrap();
        let error = tape
            .write(
                &exchange("my key is sk-secret-1", "x"),
                &[],
                &["sk-secret-1".into()],
            )
            .unwrap_err();
        assert!(error.contains("API key"), "{error}");
        assert!(!error.contains("sk-secret-1"));
        let error = tape
            .write(&exchange(&"long ".repeat(100), "x"), &[], &[])
            .unwrap_err();
        assert!(error.contains("over the recording bound"), "{error}");
        assert_eq!(tape.len(), 0);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
