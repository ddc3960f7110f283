//! `gemini-image chat`: one line per turn from stdin; each turn's image is saved; the history (with
//! the model's images and thought signatures) is kept by [`gemini_image::Chat`].

use std::io::{BufRead, IsTerminal, Write};

use gemini_image::types::Part;
use gemini_image::{ResponseExt, image_part_from_path};

use crate::args::ChatArgs;
use crate::commands::{Context, all_images, why_no_image};
use crate::failure::Failure;
use crate::output::{self, Report};

pub async fn run(context: &Context, args: ChatArgs) -> Result<(), Failure> {
    let mut chat = context.backend.client.chat(&args.model);
    let interactive = std::io::stdin().is_terminal();
    if interactive {
        eprintln!(
            "chatting with {} — one line per turn; /attach PATH adds an image; /quit ends",
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
        let sent = chat.send(parts).await;
        context.progress.done();
        let response = match sent {
            Ok(response) => response,
            Err(error) => {
                let failure = Failure::from(error);
                failure.report();
                last_failure = Some(failure);
                continue;
            }
        };
        let mut report = Report::of(&context.backend.name, &args.model, &response);
        for image in all_images(&response) {
            saved_count += 1;
            // Numbered across the whole session (a total above 1 asks for the number).
            let path = output::path_for(Some(&args.output), "chat", saved_count - 1, 2, &image);
            report.images.push(output::save(&image, path)?);
        }
        if report.images.is_empty() {
            let why = why_no_image(&response);
            report.blocked = Some(why.clone());
            report.print(context.json);
            if response.text().is_empty() {
                context.progress.say(&format!("gemini-image: {why}"));
            }
            last_failure = Some(Failure::Blocked(why));
        } else {
            report.print(context.json);
            last_failure = None;
        }
    }
    match last_failure {
        Some(failure) => Err(failure),
        None => Ok(()),
    }
}
