//! Every committed corpus file (`fuzz/corpus/TARGET/*`, the known reproducers among them) runs
//! through its target's check, as libFuzzer would run it: the corpora replay on stable in every
//! test run, so a fixed finding stays fixed.

use std::path::{Path, PathBuf};

use gemini_image_fuzz::TARGETS;

fn corpus_dir(target: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target)
}

#[test]
fn every_corpus_file_passes_its_check() {
    let mut failures = Vec::new();
    for target in TARGETS {
        let dir = corpus_dir(target.name);
        let entries = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<Vec<_>, _>>()
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert!(
            entries.len() >= 10,
            "{}: a corpus of {} files",
            dir.display(),
            entries.len()
        );
        for path in entries {
            let input = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            if let Err(failure) = (target.check)(&input) {
                failures.push(format!("{}: {failure}", path.display()));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_target_has_a_fuzz_target_file() {
    for target in TARGETS {
        let file = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/fuzz_targets")
            .join(format!("{}.rs", target.name));
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        assert!(
            text.contains(&format!("gemini_image_fuzz::{}::check", target.name)),
            "{} calls another check",
            file.display()
        );
    }
}
