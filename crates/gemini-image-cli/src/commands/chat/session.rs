//! One chat session: the conversation, its settings, what is attached for the next turn and the
//! last images; it answers the slash commands and sends the turns.

use std::path::{Path, PathBuf};

use gemini_image::types::Part;
use gemini_image::{Image, image_part_from_path};

use super::conversation::{Conversation, Turn};
use super::slash::{self, Slash};
use crate::args::{Api, ChatArgs, PictureOptions, parse_aspect_ratio, parse_size};
use crate::commands::Context;
use crate::failure::Failure;
use crate::output;

/// What the loop does after a line.
pub enum Next {
    Continue,
    Quit,
}

pub struct Session<'a> {
    context: &'a Context,
    api: Api,
    model: String,
    picture: PictureOptions,
    output: PathBuf,
    conversation: Conversation,
    attached: Vec<Part>,
    /// The last turn's images (`/save` writes them again).
    last_images: Vec<Image>,
    saved_count: usize,
    /// The last turn's failure: the exit status when the chat ends.
    pub last_failure: Option<Failure>,
}

impl<'a> Session<'a> {
    pub fn new(context: &'a Context, args: ChatArgs) -> Self {
        let api = args.api.api;
        let conversation =
            Conversation::start(&context.backend.client, api, &args.model, &args.picture);
        Session {
            context,
            api,
            model: args.model,
            picture: args.picture,
            output: args.output,
            conversation,
            attached: Vec::new(),
            last_images: Vec::new(),
            saved_count: 0,
            last_failure: None,
        }
    }

    /// The greeting a person sees.
    pub fn greeting(&self) -> String {
        let kept = match self.api {
            Api::GenerateContent => "",
            Api::Interactions => " (Interactions API: the server keeps the history)",
        };
        format!(
            "chatting with {}{kept} — one line per turn; /help lists the commands; Ctrl-D ends",
            self.model
        )
    }

    fn say(&self, line: &str) {
        self.context.progress.say(line);
    }

    /// Answers a slash command locally; nothing is sent.
    pub fn command(&mut self, command: Slash<'_>) -> Result<Next, Failure> {
        match command {
            Slash::Help => self.say(&slash::help()),
            Slash::Quit => return Ok(Next::Quit),
            Slash::Unknown(word) => {
                self.say(&format!("unknown command /{word} — /help lists them"));
            }
            Slash::NeedsArgument(name) => {
                let usage = slash::COMMANDS
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map_or("", |(_, what)| *what);
                self.say(&format!("{name} needs an argument: {name} {usage}"));
            }
            Slash::Attach(path) => match image_part_from_path(typed_path(path).as_ref()) {
                Ok(part) => {
                    self.attached.push(part);
                    self.say(&format!("attached {path}"));
                }
                Err(error) => self.say(&format!("cannot attach: {error}")),
            },
            Slash::Save(path) => self.save_again(Path::new(typed_path(path).as_ref()))?,
            Slash::Undo => match self.conversation.undo() {
                Some(true) => self.say("dropped the last turn"),
                Some(false) => self.say("nothing to undo"),
                None => self.say(
                    "/undo needs --api generate-content (the Interactions API keeps the history \
                     on the server)",
                ),
            },
            Slash::New => {
                self.conversation.clear();
                self.attached.clear();
                self.say("a fresh conversation");
            }
            Slash::Model(name) => {
                self.model = name.to_string();
                self.resettle(&format!("model: {name}"));
            }
            Slash::Size(size) => match parse_size(size) {
                Ok(size) => {
                    self.picture.size = Some(size);
                    self.resettle(&format!("size: {size}"));
                }
                Err(hint) => self.say(&format!("/size {size}: {hint}")),
            },
            Slash::Aspect(ratio) => match parse_aspect_ratio(ratio) {
                Ok(ratio) => {
                    self.picture.aspect_ratio = Some(ratio);
                    self.resettle(&format!("aspect ratio: {ratio}"));
                }
                Err(hint) => self.say(&format!("/aspect {ratio}: {hint}")),
            },
        }
        Ok(Next::Continue)
    }

    /// Applies the settings from the next turn on, and says what changed.
    fn resettle(&mut self, changed: &str) {
        let kept =
            self.conversation
                .resettle(&self.context.backend.client, &self.model, &self.picture);
        if kept {
            self.say(changed);
        } else {
            self.say(&format!(
                "{changed} — a fresh conversation (the Interactions API's history stays with \
                 the settings it began with)"
            ));
        }
    }

    /// `/save PATH`: the last images written again, numbered when there are several.
    fn save_again(&self, path: &Path) -> Result<(), Failure> {
        if self.last_images.is_empty() {
            self.say("no image to save yet");
            return Ok(());
        }
        let total = self.last_images.len();
        let placed = self
            .last_images
            .iter()
            .enumerate()
            .map(|(index, image)| {
                (
                    image,
                    output::path_for(Some(path), "chat", index, total, image),
                )
            })
            .collect();
        match output::save_all(placed) {
            Ok(saved) => {
                for saved in &saved {
                    self.say(&format!("wrote {}", output::describe(saved)));
                }
            }
            // The chat goes on: the images are still in memory for another try.
            Err(failure) => {
                failure.report();
            }
        }
        Ok(())
    }

    /// The parts of the next turn: what was attached, then the line.
    pub fn parts(&mut self, line: &str) -> Vec<Part> {
        let mut parts = std::mem::take(&mut self.attached);
        parts.push(line.into());
        parts
    }

    /// Sends a turn (the spinner showing meanwhile); `cancelled` ends it early, dropping the
    /// request — the conversation is left as it was.
    pub async fn send(
        &mut self,
        parts: Vec<Part>,
        cancelled: impl Future<Output = ()>,
    ) -> Option<Result<Turn, Failure>> {
        let progress = &self.context.progress;
        progress.start(format!("{} is answering", self.model));
        let backend = &self.context.backend.name;
        let sent = tokio::select! {
            sent = self.conversation.send(parts, backend, &self.model) => Some(sent),
            () = cancelled => None,
        };
        progress.done();
        sent
    }

    /// Whether the chat draws its images: with `--show`, and by default where the terminal
    /// draws pictures (not half blocks), unless `--no-show`.
    fn shows_images(&self) -> bool {
        let context = self.context;
        context.show
            || (!context.no_show && crate::preview::Protocol::of_terminal().draws_pictures())
    }

    /// Saves and prints a turn's answer.
    pub fn answer(&mut self, sent: Result<Turn, Failure>) -> Result<(), Failure> {
        let Turn {
            mut report,
            images,
            has_text,
            why_no_image,
        } = match sent {
            Ok(turn) => turn,
            Err(failure) => {
                failure.report();
                self.last_failure = Some(failure);
                return Ok(());
            }
        };
        for image in &images {
            self.saved_count += 1;
            // Numbered across the whole session (a total above 1 asks for the number).
            let path = output::path_for(Some(&self.output), "chat", self.saved_count - 1, 2, image);
            report.images.push(output::save(image, path)?);
        }
        let json = self.context.json;
        let show = self.shows_images();
        match why_no_image {
            Some(why) => {
                report.blocked = Some(why.clone());
                report.print(json, show);
                if !has_text {
                    self.say(&format!("gemini-image: {why}"));
                }
                self.last_failure = Some(Failure::Blocked(why));
            }
            None => {
                report.print(json, show);
                self.last_images = images;
                self.last_failure = None;
            }
        }
        Ok(())
    }
}

/// A path as typed: as it is when it names a file, else with the backslash escapes Tab
/// completion writes (`my\ photo.png`) taken out.
fn typed_path(path: &str) -> std::borrow::Cow<'_, str> {
    if Path::new(path).exists() {
        return path.into();
    }
    rustyline::completion::unescape(path, Some('\\'))
}
