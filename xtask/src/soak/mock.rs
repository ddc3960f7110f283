//! The mock under soak: built, started on a loopback port with the run's budgets, its output
//! kept in a log file, and killed when the run ends (whatever way it ends).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The key the soak's requests carry (given to the mock by environment, not on its command
/// line).
pub const KEY: &str = "soak-key";

/// A running mock; dropping it kills the process.
pub struct Mock {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub address: String,
    pub log: PathBuf,
}

impl Mock {
    /// The process id, for `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Mock {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Builds the mock's binary (`release`: the release profile, else the dev one) and gives its
/// path.
pub fn build(root: &Path, release: bool) -> Result<PathBuf, String> {
    let mut build = Command::new(env!("CARGO"));
    build.args([
        "build",
        "--locked",
        "-p",
        "gemini-image-mock",
        "--bin",
        "gemini-image-mock",
    ]);
    if release {
        build.arg("--release");
    }
    println!(
        "== building the mock: cargo {:?}",
        build.get_args().collect::<Vec<_>>()
    );
    let status = build
        .current_dir(root)
        .status()
        .map_err(|e| format!("running cargo: {e}"))?;
    if !status.success() {
        return Err("building the mock failed".into());
    }
    Ok(target_dir(root)?
        .join(if release { "release" } else { "debug" })
        .join("gemini-image-mock"))
}

/// Cargo's target directory (`CARGO_TARGET_DIR` or the workspace's).
fn target_dir(root: &Path) -> Result<PathBuf, String> {
    let output = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .current_dir(root)
        .output()
        .map_err(|e| format!("running cargo metadata: {e}"))?;
    let metadata: serde_json::Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("reading cargo metadata: {e}"))?;
    metadata["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .ok_or_else(|| "cargo metadata names no target directory".into())
}

/// Starts `binary` on a free loopback port with `flags`; its output goes to `log`.
pub fn start(binary: &Path, flags: &[String], log: PathBuf) -> Result<Mock, String> {
    let mut child = Command::new(binary)
        .args(["--addr", "127.0.0.1:0"])
        .args(flags)
        .env("GEMINI_MOCK_API_KEYS", KEY)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting {}: {e}", binary.display()))?;
    let (stdout, stderr) = match (child.stdout.take(), child.stderr.take()) {
        (Some(stdout), Some(stderr)) => (stdout, stderr),
        _ => return Err("the mock's output is not piped".into()),
    };
    let mut file =
        std::fs::File::create(&log).map_err(|e| format!("creating {}: {e}", log.display()))?;
    let mut errors = file
        .try_clone()
        .map_err(|e| format!("opening {}: {e}", log.display()))?;
    // Both outputs are read to their end, so that a chatty mock never blocks on a full pipe.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut BufReader::new(stderr), &mut errors);
    });
    let (address_tx, address_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(address) = listening_address(&line) {
                let _ = address_tx.send(address);
            }
            let _ = writeln!(file, "{line}");
        }
    });
    let mut mock = Mock {
        child,
        address: String::new(),
        log,
    };
    mock.address = address_rx
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| {
            format!(
                "the mock did not say where it listens (see {})",
                mock.log.display()
            )
        })?;
    Ok(mock)
}

/// `127.0.0.1:PORT` from the mock's first line (`… listening on http://127.0.0.1:PORT — …`).
fn listening_address(line: &str) -> Option<String> {
    let rest = line.split("listening on http://").nth(1)?;
    Some(rest.split_whitespace().next()?.to_string())
}
