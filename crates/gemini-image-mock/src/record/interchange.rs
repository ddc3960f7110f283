//! Recordings in other tools' formats: google-genai's replay files (`genai_replay`) and
//! `google/test-server`'s recordings (`test_server`) imported into a directory of ours, and a
//! directory of ours exported to either, through the neutral form of `foreign`. This module
//! drives both: which format, reading a source (a file, or every `.json` under a directory),
//! a directory's exchanges in order, and imported exchanges written as recordings.
//!
//! Neither format keeps a body's bytes, only its JSON: an imported answer is written compact
//! (a stream in Google's `data: …\r\n\r\n` frames), so it means what was recorded, byte for
//! byte only when the original was compact.

use std::io;
use std::path::{Path, PathBuf};

use super::foreign::Plain;
use super::normalise::MatchRules;
use super::tape;

/// The source files an import reads at most (each a JSON file).
const MAX_SOURCE_BYTES: u64 = 1 << 30;

/// Another tool's recording format.
///
/// ```
/// # fn main() -> std::io::Result<()> {
/// use gemini_image_mock::Interchange;
///
/// let format: Interchange = "google-genai".parse()?;
/// let empty = std::env::temp_dir().join("gemini-mock-doc-interchange");
/// let out = std::env::temp_dir().join("gemini-mock-doc-interchange-out");
/// let exported = format.export(&empty, &out, None)?;
/// assert_eq!(exported.exchanges, 0);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Interchange {
    /// google-genai's `ReplayFile` JSON (`GOOGLE_GENAI_REPLAYS_DIRECTORY/{replay_id}.json`),
    /// which its `ReplayApiClient` writes in record mode.
    GoogleGenai,
    /// `google/test-server`'s recordings (`{name}.json`: `recordID`, `interactions`).
    TestServer,
}

impl std::str::FromStr for Interchange {
    type Err = io::Error;

    fn from_str(name: &str) -> io::Result<Self> {
        match name {
            "google-genai" => Ok(Self::GoogleGenai),
            "test-server" => Ok(Self::TestServer),
            other => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{other}: expected google-genai or test-server"),
            )),
        }
    }
}

/// What an import or export did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Converted {
    /// The exchanges converted.
    pub exchanges: usize,
    /// The files written (an import: recordings; an export: the other tool's files).
    pub written: Vec<PathBuf>,
    /// What the target format cannot hold, one line each (left out, not guessed).
    pub skipped: Vec<String>,
}

impl Interchange {
    /// Adds the exchanges of `src` (a file, or every `.json` under a directory, in path
    /// order) to the recordings in `dir`, after those already there.
    ///
    /// # Errors
    ///
    /// A source that cannot be read or is not this format (named), or a recording that
    /// cannot be written.
    pub fn import(self, src: &Path, dir: &Path) -> io::Result<Converted> {
        let bounds = tape::Bounds {
            exchange: super::DEFAULT_MAX_EXCHANGE_BYTES,
            total: u64::MAX,
        };
        let tape = tape::Tape::open(dir, MatchRules::default(), true, bounds)?;
        let mut done = Converted::default();
        for file in sources(src)? {
            let text = std::fs::read(&file)?;
            let context = file.parent().unwrap_or(Path::new("."));
            let imported = match self {
                Self::GoogleGenai => super::genai_replay::read(&text, context),
                Self::TestServer => super::test_server::read(&text),
            }
            .map_err(|e| invalid(format!("{}: {e}", file.display())))?;
            for item in imported {
                match item {
                    Ok(imported) => {
                        let name = tape
                            .write(&imported.exchange, &imported.blobs, &[])
                            .map_err(io::Error::other)?;
                        done.exchanges += 1;
                        done.written.push(dir.join(name));
                    }
                    Err(why) => done.skipped.push(format!("{}: {why}", file.display())),
                }
            }
        }
        Ok(done)
    }

    /// Writes the recordings of `dir` as this format under `out`: google-genai, one replay
    /// file `out/{name}.json` (`name`, the replay id, defaults to `recordings/{dir's name}/
    /// mldev`); test-server, one file `out/{name}.json` whose requests chain, or without a
    /// name one file per exchange named by its `shaSum`, as test-server names them when no
    /// `Test-Name` header is sent.
    ///
    /// # Errors
    ///
    /// A recording that cannot be read, or a file that cannot be written.
    pub fn export(self, dir: &Path, out: &Path, name: Option<&str>) -> io::Result<Converted> {
        let mut exchanges = Vec::new();
        if dir.exists() {
            for file in tape::names(dir)? {
                let exchange = tape::read(&dir.join(&file), super::DEFAULT_MAX_EXCHANGE_BYTES)?;
                exchanges.push((file, Plain::of(&exchange, dir).map_err(invalid)?));
            }
        }
        std::fs::create_dir_all(out)?;
        let mut done = Converted {
            exchanges: exchanges.len(),
            ..Converted::default()
        };
        let files = match self {
            Self::GoogleGenai => {
                let fallback = format!(
                    "recordings/{}/mldev",
                    dir.file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or("recordings")
                );
                let id = name.unwrap_or(&fallback);
                super::genai_replay::write(id, &exchanges, &mut done.skipped)
            }
            Self::TestServer => super::test_server::write(name, &exchanges, &mut done.skipped),
        };
        for (relative, bytes) in files {
            if relative
                .split('/')
                .any(|part| part == ".." || part.is_empty())
            {
                return Err(invalid(format!(
                    "{relative}: not a name inside {}",
                    out.display()
                )));
            }
            let path = out.join(&relative);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, bytes)?;
            done.written.push(path);
        }
        done.exchanges -= done.skipped.len().min(done.exchanges);
        Ok(done)
    }
}

/// The JSON files `src` names: itself, or every `.json` under it, in path order.
fn sources(src: &Path) -> io::Result<Vec<PathBuf>> {
    if !src.is_dir() {
        return Ok(vec![src.to_owned()]);
    }
    let mut found = Vec::new();
    let mut folders = vec![src.to_owned()];
    let mut total: u64 = 0;
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)? {
            let entry = entry?;
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                folders.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                total = total.saturating_add(entry.metadata()?.len());
                if total > MAX_SOURCE_BYTES {
                    return Err(invalid(format!(
                        "{}: more than {MAX_SOURCE_BYTES} bytes of JSON to import",
                        src.display()
                    )));
                }
                found.push(path);
            }
        }
    }
    found.sort();
    Ok(found)
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}
