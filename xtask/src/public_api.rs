//! `cargo xtask public-api [--bless]`: the public API of each library crate, as a sorted text
//! listing, checked against the snapshot committed at `crates/NAME/public-api.txt`.
//!
//! The listing comes from rustdoc's JSON output, which only a nightly toolchain writes
//! (`cargo +nightly rustdoc ... -Z unstable-options --output-format json`); the `public-api`
//! crate (the library behind `cargo public-api`) turns the JSON into one line per item:
//! every public module, type, field, variant, function, method, trait, impl and constant, with
//! its full path and signature. xtask itself builds on stable; only rustdoc runs on nightly, into
//! its own target directory (`target/public-api`) so that it never invalidates the stable build.
//!
//! rustdoc's JSON format changes from nightly to nightly and each `public-api` release reads
//! exactly one version of it ([`FORMAT_VERSION`]). When the nightly moves on, bump `public-api`
//! in `xtask/Cargo.toml` to the release whose `rustdoc-types` dependency has the nightly's
//! format version (`rustdoc-types` 0.N.x reads format N), update [`FORMAT_VERSION`], and bless.
//!
//! With no nightly toolchain installed the check prints a `skipped` line and passes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

/// The rustdoc JSON format version that the pinned `public-api` (=0.52.1, through
/// `rustdoc-types` 0.57.x) reads.
const FORMAT_VERSION: u64 = 57;

/// Environment that the outer `cargo run` of xtask sets and that would pin the inner cargo to
/// the stable toolchain or its tools.
const TOOLCHAIN_ENV: &[&str] = &["RUSTUP_TOOLCHAIN", "RUSTC", "RUSTDOC", "CARGO"];

/// Checks (or with `bless`, writes) `crates/NAME/public-api.txt` for each library crate NAME.
pub fn run(root: &Path, crates: &[&str], bless: bool) -> Result<(), String> {
    if !nightly_available(root) {
        println!("public-api: skipped: no nightly toolchain (`cargo +nightly --version` failed)");
        return Ok(());
    }
    let target_dir = env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
        .join("public-api");
    let mut stale = Vec::new();
    for name in crates {
        let listing = listing(root, &target_dir, name)?;
        let snapshot_rel = format!("crates/{name}/public-api.txt");
        let snapshot = root.join(&snapshot_rel);
        if bless {
            fs::write(&snapshot, &listing)
                .map_err(|e| format!("writing {}: {e}", snapshot.display()))?;
            println!("wrote {snapshot_rel} ({} items)", listing.lines().count());
            continue;
        }
        let committed = fs::read_to_string(&snapshot).unwrap_or_default();
        if committed == listing {
            println!(
                "{snapshot_rel} matches the public API of {name} ({} items)",
                listing.lines().count()
            );
            continue;
        }
        let diff = similar::TextDiff::from_lines(&committed, &listing);
        eprint!(
            "{}",
            diff.unified_diff().context_radius(3).header(
                &format!("{snapshot_rel} (committed)"),
                &format!("{snapshot_rel} (public API of {name} now)")
            )
        );
        stale.push(snapshot_rel);
    }
    if stale.is_empty() {
        return Ok(());
    }
    Err(format!(
        "the public API differs from {}: if the change is intended, run \
         `cargo xtask public-api --bless` and commit the result",
        stale.join(", ")
    ))
}

/// A `cargo` that picks its toolchain from a `+toolchain` argument: the rustup proxy on PATH,
/// not `$CARGO` (the outer stable cargo itself), with the outer toolchain's pins removed.
fn nightly_cargo(root: &Path) -> Command {
    let mut command = Command::new("cargo");
    command.arg("+nightly").current_dir(root);
    for var in TOOLCHAIN_ENV {
        command.env_remove(var);
    }
    command
}

fn nightly_available(root: &Path) -> bool {
    nightly_cargo(root)
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success())
}

/// The sorted public API of one library crate, one item a line, newline-terminated.
fn listing(root: &Path, target_dir: &Path, name: &str) -> Result<String, String> {
    println!("== public API of {name}: cargo +nightly rustdoc -p {name} --lib (JSON)");
    let status = nightly_cargo(root)
        .args(["rustdoc", "-p", name, "--lib", "--locked", "--quiet"])
        .arg("--target-dir")
        .arg(target_dir)
        .args(["--", "-Z", "unstable-options", "--output-format", "json"])
        .status()
        .map_err(|e| format!("running cargo +nightly rustdoc: {e}"))?;
    if !status.success() {
        return Err(format!("cargo +nightly rustdoc -p {name} failed"));
    }
    let json_path = target_dir
        .join("doc")
        .join(format!("{}.json", name.replace('-', "_")));
    let json = fs::read_to_string(&json_path)
        .map_err(|e| format!("reading {}: {e}", json_path.display()))?;
    check_format_version(&json, &json_path)?;
    let api = public_api::Builder::from_rustdoc_json(&json_path)
        // `impl<T> From<T> for T`, `Borrow`, `Any`, `ToOwned` ... on every type: noise that
        // says nothing about this crate. Auto traits (`Send`, `Sync`, `Unpin`) stay: losing one
        // breaks callers.
        .omit_blanket_impls(true)
        .build()
        .map_err(|e| format!("reading the public API from {}: {e}", json_path.display()))?;
    let mut text = String::new();
    for item in api.items() {
        text.push_str(&item.to_string());
        text.push('\n');
    }
    Ok(text)
}

/// A clear error instead of a serde one (or a silently wrong listing) when the nightly writes a
/// format that the pinned `public-api` does not read.
fn check_format_version(json: &str, path: &Path) -> Result<(), String> {
    #[derive(serde::Deserialize)]
    struct Header {
        format_version: u64,
    }
    // Only the header field is kept; serde skips the rest without building it.
    let header: Header = serde_json::from_str(json)
        .map_err(|e| format!("reading format_version of {}: {e}", path.display()))?;
    if header.format_version != FORMAT_VERSION {
        return Err(format!(
            "{} has rustdoc JSON format version {}, but xtask's `public-api` reads version \
             {FORMAT_VERSION}: bump `public-api` in xtask/Cargo.toml to the release built on \
             rustdoc-types 0.{}.x, set FORMAT_VERSION in xtask/src/public_api.rs, and bless",
            path.display(),
            header.format_version,
            header.format_version,
        ));
    }
    Ok(())
}
