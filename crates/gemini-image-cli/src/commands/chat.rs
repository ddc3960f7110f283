//! `gemini-image chat`: one line per turn from stdin; each turn's image is saved. The history
//! (with the model's images and thought signatures) is kept by [`gemini_image::Chat`] — or, with
//! `--api interactions`, by the server, [`gemini_image::InteractionChat`] keeping only the last
//! interaction's id.

use std::io::{BufRead, IsTerminal, Write};

use gemini_image::types::Part;
use gemini_image::{Chat, Image, InteractionChat, image_part_from_path};

use crate::args::{Api, ChatArgs};
use crate::commands::{Answer, Context, why_no_image};
use crate::failure::Failure;
use crate::output::{self, Report};

/// A conversation in either API (boxed: one lives for the whole session, and their sizes
/// differ by hundreds of bytes).
enum Conversation {
    GenerateContent(Box<Chat>),
    Interactions(Box<InteractionChat>),
}

/// A turn's answer, read.
struct Turn {
    report: Report,
    images: Vec<Image>,
    has_text: bool,
    /// Why there is no image, when there is none.
    why_no_image: Option<String>,
}

impl Turn {
    fn of(answer: &impl Answer, backend: &str, model: &str) -> Turn {
        let images = answer.all_images();
        Turn {
            report: answer.report(backend, model),
            has_text: !answer.text().is_empty(),
            why_no_image: images.is_empty().then(|| why_no_image(answer)),
            images,
        }
    }
}

impl Conversation {
    async fn send(
        &mut self,
        parts: Vec<Part>,
        backend: &str,
        model: &str,
    ) -> Result<Turn, Failure> {
        Ok(match self {
            Conversation::GenerateContent(chat) => {
                Turn::of(&chat.send(parts).await?, backend, model)
            }
            Conversation::Interactions(chat) => Turn::of(&chat.send(parts).await?, backend, model),
        })
    }
}

pub async fn run(context: &Context, args: ChatArgs) -> Result<(), Failure> {
    let client = &context.backend.client;
    let mut chat = match args.api.api {
        Api::GenerateContent => Conversation::GenerateContent(Box::new(client.chat(&args.model))),
        Api::Interactions => {
            Conversation::Interactions(Box::new(client.interactions().chat(&args.model)))
        }
    };
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        let kept = match args.api.api {
            Api::GenerateContent => "",
            Api::Interactions => " (Interactions API: the server keeps the history)",
        };
        eprintln!(
            "chatting with {}{kept} — one line per turn; /attach PATH adds an image; /quit ends",
            args.model
        );
    }
    let mut attached: Vec<Part> = Vec::new();
    let mut saved_count = 0;
    let mut last_failure = None;
    let mut lines = std::io::stdin().lock().lines();
    loop {
        if interactive {
            eprint!("> ");
            let _ = std::io::stderr().flush();
        }
        let Some(line) = lines.next() else { break };
        let line = line?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line == "/quit" || line == "/exit" {
            break;
        }
        if let Some(path) = line.strip_prefix("/attach ") {
            match image_part_from_path(path.trim()) {
                Ok(part) => {
                    attached.push(part);
                    context.progress.say(&format!("attached {}", path.trim()));
                }
                Err(error) => context.progress.say(&format!("cannot attach: {error}")),
            }
            continue;
        }
        let mut parts = std::mem::take(&mut attached);
        parts.push(line.into());
        context
            .progress
            .start(format!("{} is answering", args.model));
        let sent = chat.send(parts, &context.backend.name, &args.model).await;
        context.progress.done();
        let Turn {
            mut report,
            images,
            has_text,
            why_no_image,
        } = match sent {
            Ok(turn) => turn,
            Err(failure) => {
                failure.report();
                last_failure = Some(failure);
                continue;
            }
        };
        for image in &images {
            saved_count += 1;
            // Numbered across the whole session (a total above 1 asks for the number).
            let path = output::path_for(Some(&args.output), "chat", saved_count - 1, 2, image);
            report.images.push(output::save(image, path)?);
        }
        match why_no_image {
            Some(why) => {
                report.blocked = Some(why.clone());
                report.print(context.json);
                if !has_text {
                    context.progress.say(&format!("gemini-image: {why}"));
                }
                last_failure = Some(Failure::Blocked(why));
            }
            None => {
                report.print(context.json);
                last_failure = None;
            }
        }
    }
    match last_failure {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}
