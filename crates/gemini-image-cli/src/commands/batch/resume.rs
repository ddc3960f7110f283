//! The file in a `batch run` directory that lets the command resume: which batch it submitted,
//! for which prompts and options, and whether its images are saved.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::failure::Failure;

/// The file's name, in the output directory. A dot file: `ls DIR` shows the images.
pub const FILE: &str = ".gemini-batch.json";

/// The file is a few hundred bytes; more is not ours.
const MAX_FILE: u64 = 64 * 1024;

/// What a run remembers.
#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RunState {
    /// `batches/{id}`.
    pub batch: String,
    /// What was asked, hashed ([`fingerprint`]): the same command resumes, another is refused.
    pub fingerprint: String,
    /// Every result has been saved into the directory.
    #[serde(default)]
    pub saved: bool,
}

/// A hash of everything that decides the batch's requests, in a form that stays the same
/// across releases of this command (so an upgrade does not orphan a running batch).
pub fn fingerprint<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        // Length-prefixed, so that ("ab", "c") and ("a", "bc") differ.
        hash.update((part.len() as u64).to_le_bytes());
        hash.update(part.as_bytes());
    }
    hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

fn path(dir: &Path) -> PathBuf {
    dir.join(FILE)
}

/// The run remembered in `dir`, if any.
pub fn load(dir: &Path) -> Result<Option<RunState>, Failure> {
    let path = path(dir);
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Failure::Local(format!("{}: {e}", path.display()))),
    };
    let mut bytes = Vec::new();
    file.take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| Failure::Local(format!("{}: {e}", path.display())))?;
    let unreadable = |why: String| {
        Failure::Local(format!(
            "{}: {why}; delete it to start a new batch in {}",
            path.display(),
            dir.display()
        ))
    };
    if bytes.len() as u64 > MAX_FILE {
        return Err(unreadable("too large to be this command's".into()));
    }
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| unreadable(format!("not this command's ({e})")))
}

/// Remembers `state` in `dir` (created if needed), replacing the file whole: an interruption
/// leaves the old file or the new one, never half of one.
pub fn store(dir: &Path, state: &RunState) -> Result<(), Failure> {
    let cannot =
        |e: std::io::Error| Failure::Local(format!("cannot write {}: {e}", path(dir).display()));
    std::fs::create_dir_all(dir).map_err(cannot)?;
    let json = serde_json::to_vec_pretty(state).map_err(|e| Failure::Local(e.to_string()))?;
    let mut temporary = tempfile::NamedTempFile::new_in(dir).map_err(cannot)?;
    temporary
        .write_all(&json)
        .and_then(|()| temporary.as_file().sync_all())
        .map_err(cannot)?;
    temporary.persist(path(dir)).map_err(|e| cannot(e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_run_loads_back_and_a_foreign_file_is_refused_with_what_to_do() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
        let state = RunState {
            batch: "batches/abc".into(),
            fingerprint: fingerprint(["m", "fox"]),
            saved: false,
        };
        store(dir.path(), &state).unwrap();
        assert_eq!(load(dir.path()).unwrap(), Some(state));
        std::fs::write(dir.path().join(FILE), vec![b' '; MAX_FILE as usize + 1]).unwrap();
        let Err(Failure::Local(message)) = load(dir.path()) else {
            panic!("a file past the bound must be refused");
        };
        assert!(
            message.contains("too large to be this command's"),
            "{message}"
        );
        std::fs::write(dir.path().join(FILE), b"{\"not\": \"ours\"}").unwrap();
        let Err(Failure::Local(message)) = load(dir.path()) else {
            panic!("a foreign file must be refused");
        };
        assert!(
            message.contains("delete it to start a new batch"),
            "{message}"
        );
    }

    #[test]
    fn the_fingerprint_tells_the_parts_apart() {
        assert_ne!(fingerprint(["ab", "c"]), fingerprint(["a", "bc"]));
        assert_eq!(fingerprint(["a", "b"]), fingerprint(["a", "b"]));
        assert_eq!(fingerprint([]).len(), 64);
    }
}
