//! The command line: global options and one subcommand each.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use gemini_image::models::{self, Family, ModelInfo};
use gemini_image::types::{AspectRatio, ImageSize, ImagenAspectRatio};

/// Make and edit images with Gemini. With no GEMINI_API_KEY, the offline mock built into this
/// command answers instead (and says so): no key, no network, no cost.
#[derive(Parser, Debug)]
#[command(name = "gemini-image", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub backend: BackendArgs,
    /// Print machine-readable JSON on stdout (paths, MIME types, sizes, text, usage).
    #[arg(long, global = true)]
    pub json: bool,
    /// Draw each image in the terminal as it is saved (kitty, iTerm2 or sixel graphics where
    /// the terminal has them, else half blocks); never when stdout is not a terminal. On by
    /// default in chat where the terminal draws pictures.
    #[arg(long, global = true)]
    pub show: bool,
    /// Say nothing on stderr but errors: no spinner, no progress bars, no notes (which backend,
    /// retries). The answer and the paths written still go to stdout.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Never draw images in the terminal, not even in chat.
    #[arg(long, global = true, conflicts_with = "show")]
    pub no_show: bool,
}

/// Where requests go.
#[derive(clap::Args, Debug, Clone)]
pub struct BackendArgs {
    /// Use the built-in offline mock even when a key is set.
    #[arg(long, global = true)]
    pub mock: bool,
    /// Another server speaking the Gemini API or Vertex AI (a gemini-image-mock, a proxy).
    /// Default: GOOGLE_GEMINI_BASE_URL, or GOOGLE_VERTEX_BASE_URL with Vertex AI.
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,
    /// Call Vertex AI (Google Cloud) instead of the Gemini API: in --project at --location
    /// with Application Default Credentials (gcloud auth application-default login, a service
    /// account in GOOGLE_APPLICATION_CREDENTIALS, the metadata server), or without a project
    /// in express mode with an API key. Also GOOGLE_GENAI_USE_VERTEXAI=true.
    #[arg(long, global = true)]
    pub vertex: bool,
    /// The Google Cloud project for Vertex AI.
    #[arg(
        long,
        global = true,
        env = "GOOGLE_CLOUD_PROJECT",
        value_name = "PROJECT"
    )]
    pub project: Option<String>,
    /// The Vertex AI location: a region (us-central1), us, eu or global (the default).
    #[arg(
        long,
        global = true,
        env = "GOOGLE_CLOUD_LOCATION",
        value_name = "LOCATION"
    )]
    pub location: Option<String>,
    /// An OAuth access token for Vertex AI instead of Application Default Credentials
    /// (gcloud auth print-access-token). Prefer the environment: a command line is seen by
    /// every user of the machine.
    #[arg(
        long,
        global = true,
        env = "GOOGLE_OAUTH_ACCESS_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub access_token: Option<Secret>,
    /// The built-in mock also serves the models Google has shut down (Imagen,
    /// gemini-2.5-flash-image, the previews …), as they behaved; Google itself answers 404 for
    /// them. Written before the subcommand: gemini-image --legacy-models imagen "a fox".
    #[arg(long, env = "GEMINI_MOCK_LEGACY_MODELS")]
    pub legacy_models: bool,
    /// The built-in mock answers from the recordings in DIR (made with gemini-image mock
    /// --record DIR --upstream URL) instead of drawing: real images, offline. Implies --mock.
    /// Written before the subcommand: gemini-image --replay tests/recordings generate "a fox".
    #[arg(long, value_name = "DIR")]
    pub replay: Option<std::path::PathBuf>,
}

/// Where requests go, said under every command's help.
const BACKEND_RULE: &str = "Where requests go: --mock → the offline mock built into this command; \
--vertex (or GOOGLE_GENAI_USE_VERTEXAI=true) → Vertex AI; --base-url → that server; a key in \
GOOGLE_API_KEY or GEMINI_API_KEY → Google's Gemini API; none of these → the built-in mock, \
said on stderr. --help lists the environment.";

/// The environment and the exit codes, under every command's `--help`.
const ENVIRONMENT: &str = "Where requests go: --mock → the offline mock built into this command; \
--vertex (or GOOGLE_GENAI_USE_VERTEXAI=true) → Vertex AI; --base-url → that server; a key in \
GOOGLE_API_KEY or GEMINI_API_KEY → Google's Gemini API; none of these → the built-in mock, \
said on stderr.

Environment:
  GOOGLE_API_KEY, GEMINI_API_KEY  the Gemini API's key (GOOGLE_API_KEY wins when both are set)
  GOOGLE_GEMINI_BASE_URL          another Gemini API endpoint (a gemini-image-mock, a proxy)
  GOOGLE_GENAI_USE_VERTEXAI=true  Vertex AI (GOOGLE_GENAI_USE_ENTERPRISE too)
  GOOGLE_CLOUD_PROJECT            Vertex AI's project (without one, a key is express mode)
  GOOGLE_CLOUD_LOCATION           Vertex AI's location (default: global)
  GOOGLE_VERTEX_BASE_URL          another Vertex AI endpoint
  GOOGLE_APPLICATION_CREDENTIALS  Vertex AI's credentials file (else gcloud's Application
                                  Default Credentials, else the metadata server)
  GOOGLE_OAUTH_ACCESS_TOKEN       a Vertex AI access token, instead of looking for credentials
  GEMINI_IMAGE_MODEL              the model when -m is not given
  GEMINI_IMAGE_API                generate-content or interactions, when --api is not given
  RUST_LOG                        logs on stderr (RUST_LOG=gemini_image=debug)

Exit codes: 0 done, 1 a local problem (a file, credentials), 2 a wrong command line, 3 an API \
error, 4 an answer without an image (filtered or blocked).";

/// The command line as clap reads it: every command's help says where requests go and lists
/// the environment; `mock`'s help shows only the mock's own options (the global ones choose a
/// backend, which the mock is not).
pub fn command() -> clap::Command {
    use clap::CommandFactory;

    let mut command = Cli::command()
        .after_help(BACKEND_RULE)
        .after_long_help(ENVIRONMENT)
        .mut_subcommands(|sub| {
            if sub.get_name() == "mock" {
                sub
            } else {
                with_backend_help(sub)
            }
        });
    // Global options reach the subcommands when clap builds the command: built first, the
    // mock's copies of them can be hidden.
    command.build();
    let backend_flags: Vec<clap::Id> = command
        .get_arguments()
        .filter(|arg| arg.is_global_set() && !matches!(arg.get_id().as_str(), "help" | "version"))
        .map(|arg| arg.get_id().clone())
        .collect();
    command.mut_subcommand("mock", |mock| {
        mock.mut_args(|arg| {
            if backend_flags.contains(arg.get_id()) {
                arg.hide(true)
            } else {
                arg
            }
        })
    })
}

/// The backend rule under a command's help, and under its subcommands'.
fn with_backend_help(command: clap::Command) -> clap::Command {
    command
        .after_help(BACKEND_RULE)
        .after_long_help(ENVIRONMENT)
        .mut_subcommands(with_backend_help)
}

/// What to do.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Generate images from a prompt.
    Image(ImageArgs),
    /// Edit one or more images as an instruction says: gemini-image edit IN.png [MORE.png] "INSTRUCTION".
    Edit(EditArgs),
    /// An interactive session for editing an image turn after turn (one line per turn; /attach
    /// PATH adds an image to the next turn; /quit or end of input stops).
    Chat(ChatArgs),
    /// Generate images with an Imagen model (:predict). Google shut Imagen down on 2026-08-17:
    /// the built-in mock serves it with --legacy-models.
    Imagen(ImagenArgs),
    /// List the models.
    Models,
    /// Count the tokens of a text.
    Tokens(TokensArgs),
    /// The Files API: upload inputs once (up to 2 GB each), use them for 48 hours.
    #[command(subcommand)]
    Files(FilesCommand),
    /// Batch mode: many images at half the price, within 24 hours (`batch run PROMPTS -o DIR`
    /// does it all and can be run again to resume).
    #[command(subcommand)]
    Batch(BatchCommand),
    /// Run the offline mock server in the foreground.
    Mock(Box<gemini_image_mock::cli::ServeArgs>),
    /// Print a completion script for a shell: gemini-image completions bash >
    /// ~/.local/share/bash-completion/completions/gemini-image (zsh: into a directory of $fpath
    /// as _gemini-image; fish: ~/.config/fish/completions/gemini-image.fish).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): gemini-image manpage > gemini-image.1; man ./gemini-image.1
    Manpage,
}

/// The image model when none is named.
pub const DEFAULT_MODEL: &str = gemini_image::models::GEMINI_3_1_FLASH_IMAGE;

#[derive(clap::Args, Debug)]
pub struct ImageArgs {
    /// What to draw.
    pub prompt: String,
    /// Where to save: the extension follows the image's type; several images are numbered.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub options: ImageOptions,
    /// How many images (candidates) to ask for.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(i32).range(1..=8))]
    pub count: Option<i32>,
    /// A seed, for the same image again.
    #[arg(long, value_name = "S")]
    pub seed: Option<i32>,
}

/// Which of Google's two APIs makes the images.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// `models/{model}:generateContent`: stateless, every turn carries its whole history.
    GenerateContent,
    /// `/interactions`, Google's recommended interface since June 2026: the server keeps the
    /// history, and a chat's later turns carry only what is new.
    Interactions,
}

/// `--api`, for the commands that can use either API.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct ApiChoice {
    /// The API: generate-content, or interactions (the server keeps a chat's history).
    #[arg(
        long,
        value_enum,
        env = "GEMINI_IMAGE_API",
        default_value_t = Api::GenerateContent
    )]
    pub api: Api,
}

/// Options every image-making command takes.
#[derive(clap::Args, Debug)]
pub struct ImageOptions {
    /// The model.
    #[arg(long, short, env = "GEMINI_IMAGE_MODEL", default_value = DEFAULT_MODEL)]
    pub model: String,
    #[command(flatten)]
    pub api: ApiChoice,
    #[command(flatten)]
    pub picture: PictureOptions,
}

/// The picture asked for: its shape and size.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct PictureOptions {
    /// The aspect ratio: 1:1, 2:3, 3:2, 3:4, 4:3, 4:5, 5:4, 9:16, 16:9, 21:9, and the extreme
    /// 1:4, 4:1, 1:8, 8:1 (each model takes those of its row in `gemini-image models`' table).
    #[arg(long, value_name = "RATIO", value_parser = parse_aspect_ratio)]
    pub aspect_ratio: Option<AspectRatio>,
    /// The image size: 512 (gemini-3.1-flash-image only), 1K, 2K or 4K.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub size: Option<ImageSize>,
}

#[derive(clap::Args, Debug)]
pub struct EditArgs {
    /// The images to edit (PNG, JPEG, WebP, GIF).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<String>,
    /// What to do with them.
    #[arg(required = true, value_name = "INSTRUCTION")]
    pub instruction: String,
    /// Where to save (default: the first input's name with `-edited`).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub options: ImageOptions,
}

#[derive(clap::Args, Debug)]
pub struct ChatArgs {
    /// The model (Gemini 3 image models keep their thought signatures across turns).
    #[arg(long, short, env = "GEMINI_IMAGE_MODEL", default_value = DEFAULT_MODEL)]
    pub model: String,
    /// Names of the saved images: STEM-1.png, STEM-2.png …
    #[arg(short, long, value_name = "STEM", default_value = "chat")]
    pub output: PathBuf,
    #[command(flatten)]
    pub api: ApiChoice,
    /// The shape and size of the pictures (`/aspect` and `/size` change them mid-chat).
    #[command(flatten)]
    pub picture: PictureOptions,
}

#[derive(clap::Args, Debug)]
pub struct ImagenArgs {
    /// What to draw.
    pub prompt: String,
    /// Where to save; several images are numbered.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The Imagen model.
    #[arg(long, short, default_value = "imagen-4.0-generate-001")]
    pub model: String,
    /// How many images (1 to 4).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4))]
    pub count: Option<u32>,
    /// The aspect ratio: 1:1, 3:4, 4:3, 9:16, 16:9.
    #[arg(long, value_name = "RATIO", value_parser = parse_imagen_aspect_ratio)]
    pub aspect_ratio: Option<ImagenAspectRatio>,
}

#[derive(clap::Args, Debug)]
pub struct TokensArgs {
    /// The text.
    pub text: String,
    /// The model whose tokenizer counts.
    #[arg(long, short, default_value = DEFAULT_MODEL)]
    pub model: String,
}

/// `gemini-image files …`.
#[derive(Subcommand, Debug)]
pub enum FilesCommand {
    /// Upload a file (resumable, 8 MiB at a time, streamed from disk).
    Upload(UploadArgs),
    /// List the files.
    List {
        /// Files per request (Google's maximum is 100).
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
        page_size: Option<u32>,
    },
    /// Show one file: files/ID, ID or its URI.
    Get {
        /// The file: files/ID, ID or its URI.
        name: String,
    },
    /// Delete a file.
    Delete {
        /// The file: files/ID, ID or its URI.
        name: String,
    },
    /// Download a file's bytes (Google serves generated files only, such as batch results).
    Download {
        /// The file: files/ID, ID or its URI.
        name: String,
        /// Where to write (default: the file's id, in the current directory).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// `gemini-image batch …`.
#[derive(Subcommand, Debug)]
pub enum BatchCommand {
    /// Submit a batch of prompts, wait for it, save every image into DIR named by key. DIR
    /// remembers the batch: run the same command again to resume after an interruption.
    Run(BatchRunArgs),
    /// Submit a batch of prompts and print its name.
    Submit(BatchSubmitArgs),
    /// Show a batch: state, counts, where its results are.
    Status {
        /// The batch: batches/ID or ID.
        name: String,
    },
    /// Wait until a batch has finished, showing its progress.
    Wait {
        /// The batch: batches/ID or ID.
        name: String,
        #[command(flatten)]
        deadline: Deadline,
    },
    /// Save the images of a finished batch into DIR, named by key.
    Results {
        /// The batch: batches/ID or ID.
        name: String,
        /// The directory (created if needed).
        #[arg(short, long, value_name = "DIR")]
        output: PathBuf,
    },
    /// Cancel a batch that has not finished.
    Cancel {
        /// The batch: batches/ID or ID.
        name: String,
    },
    /// Delete a batch.
    Delete {
        /// The batch: batches/ID or ID.
        name: String,
    },
    /// List the batches, newest first.
    List {
        /// Batches per request.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
        page_size: Option<u32>,
    },
}

#[derive(clap::Args, Debug)]
pub struct BatchRunArgs {
    #[command(flatten)]
    pub submit: BatchSubmitArgs,
    /// The directory for the images (created if needed) and the file that lets a run resume.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    #[command(flatten)]
    pub deadline: Deadline,
}

#[derive(clap::Args, Debug)]
pub struct BatchSubmitArgs {
    /// A text file of prompts, one per line (`-` reads stdin). A line `KEY<TAB>PROMPT` names
    /// its images KEY; other lines are keyed by their line number. Blank lines and lines
    /// starting with `#` are skipped. Or JSONL of whole requests, in Google's batch input shape:
    /// `{"key": "fox", "request": {"contents": […], "generationConfig": {…}}}` a line.
    pub prompts: PathBuf,
    /// The model (batch mode is generateContent's: the Interactions API has none).
    #[arg(long, short, env = "GEMINI_IMAGE_MODEL", default_value = DEFAULT_MODEL)]
    pub model: String,
    #[command(flatten)]
    pub picture: PictureOptions,
    /// How the requests travel: inline in the create call (up to 20 MB), as a JSONL file
    /// uploaded first, or auto (inline when it fits).
    #[arg(long, value_enum, default_value_t = BatchInputKind::Auto)]
    pub input: BatchInputKind,
    /// A name for people (default: the prompts file's name).
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
}

/// How a batch's requests travel.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchInputKind {
    /// Inline when the whole create call stays under 20 MB, else a file.
    Auto,
    /// In the create call.
    Inline,
    /// A JSONL file, uploaded through the Files API.
    File,
}

/// `--deadline`.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct Deadline {
    /// How long to wait before giving up (the batch goes on): 90s, 30m, 24h. Google expires
    /// a batch that has not finished after 48 hours.
    #[arg(long, value_name = "DURATION", default_value = "48h", value_parser = parse_deadline)]
    pub deadline: std::time::Duration,
}

fn parse_deadline(text: &str) -> Result<std::time::Duration, String> {
    humantime::parse_duration(text).map_err(|e| format!("{e} (write 90s, 30m or 24h)"))
}

#[derive(clap::Args, Debug)]
pub struct UploadArgs {
    /// The file to upload.
    pub path: PathBuf,
    /// Its MIME type (default: read from its first bytes, else from its extension).
    #[arg(long, value_name = "TYPE")]
    pub mime_type: Option<String>,
    /// A name for people.
    #[arg(long, value_name = "NAME")]
    pub display_name: Option<String>,
}

/// Every value of one image setting that some Gemini model of the table takes, in table order.
fn known_values(of: fn(&ModelInfo) -> &'static [&'static str]) -> Vec<&'static str> {
    let mut values: Vec<&str> = Vec::new();
    for model in models::MODELS.iter().filter(|m| m.family != Family::Imagen) {
        for value in of(model) {
            if !values.contains(value) {
                values.push(value);
            }
        }
    }
    values
}

pub fn parse_aspect_ratio(text: &str) -> Result<AspectRatio, String> {
    text.parse().map_err(|_| {
        format!(
            "use one of {}",
            known_values(|m| m.aspect_ratios).join(", ")
        )
    })
}

fn parse_imagen_aspect_ratio(text: &str) -> Result<ImagenAspectRatio, String> {
    text.parse()
        .map_err(|_| "use one of 1:1, 3:4, 4:3, 9:16, 16:9".to_string())
}

pub fn parse_size(text: &str) -> Result<ImageSize, String> {
    text.to_ascii_uppercase()
        .parse()
        .map_err(|_| format!("use one of {}", known_values(|m| m.image_sizes).join(", ")))
}

/// A value never shown: not in `Debug`, not in an error.
#[derive(Clone)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        Ok(Secret(value.to_string()))
    }
}
