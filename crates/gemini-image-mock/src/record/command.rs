//! `gemini-image-mock recordings import|export`: the interchange as a command, which prints
//! what it wrote and what the other format could not hold.

use std::path::PathBuf;
use std::process::ExitCode;

use super::interchange::Interchange;

/// Moving recordings between this mock and Google's test tools.
#[derive(clap::Subcommand, Debug, Clone)]
pub enum RecordingsCommand {
    /// Add another tool's recordings (a file, or every .json under a directory) to DIR, after
    /// the recordings already there.
    Import {
        /// google-genai (its ReplayApiClient's replay files) or test-server (google/test-server).
        #[arg(long = "from", value_name = "FORMAT")]
        from: Interchange,
        /// The file or directory to read.
        src: PathBuf,
        /// The directory of recordings to add to (created when missing).
        dir: PathBuf,
    },
    /// Write the recordings of DIR in another tool's format under OUT.
    Export {
        /// google-genai (one replay file OUT/NAME.json) or test-server (OUT/NAME.json, or one
        /// OUT/SHASUM.json per exchange without --name).
        #[arg(long = "to", value_name = "FORMAT")]
        to: Interchange,
        /// The directory of recordings.
        dir: PathBuf,
        /// Where to write.
        out: PathBuf,
        /// google-genai's replay id (default recordings/DIRNAME/mldev, DIRNAME being the
        /// last part of DIR), or test-server's record id.
        #[arg(long)]
        name: Option<String>,
    },
}

/// Runs `command`, printing each file written and each exchange left out.
pub fn run(command: RecordingsCommand) -> ExitCode {
    let (verb, done) = match command {
        RecordingsCommand::Import { from, src, dir } => ("imported", from.import(&src, &dir)),
        RecordingsCommand::Export { to, dir, out, name } => {
            ("exported", to.export(&dir, &out, name.as_deref()))
        }
    };
    match done {
        Ok(done) => {
            for path in &done.written {
                println!("wrote {}", path.display());
            }
            for why in &done.skipped {
                eprintln!("left out {why}");
            }
            println!(
                "{verb} {} exchanges, left out {}",
                done.exchanges,
                done.skipped.len()
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("gemini-image-mock recordings: {error}");
            ExitCode::FAILURE
        }
    }
}
