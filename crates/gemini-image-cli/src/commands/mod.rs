//! One module per subcommand, and what the image-making ones share.

pub mod batch;
pub mod chat;
pub mod edit;
pub mod files;
pub mod help;
pub mod image;
pub mod imagen;
pub mod models;
pub mod tokens;

use std::path::Path;

use gemini_image::types::{
    CreateInteractionRequest, GenerateContentRequest, GenerateContentResponse, ImageSize,
    Interaction,
};
use gemini_image::{Image, Outcome, ResponseExt};

use crate::backend::Backend;
use crate::failure::Failure;
use crate::output::{self, Report};
use crate::progress::Progress;
use crate::size_check;

/// What every command gets.
pub struct Context {
    pub backend: Backend,
    pub progress: Progress,
    pub json: bool,
    /// `--show`: draw each saved image in the terminal.
    pub show: bool,
    /// `--no-show`: not even where chat would by default.
    pub no_show: bool,
}

impl Context {
    /// Sends `request` with the spinner showing `doing`.
    pub async fn generate(
        &self,
        model: &str,
        request: &GenerateContentRequest,
        doing: &str,
    ) -> Result<GenerateContentResponse, Failure> {
        self.progress.start(format!("{doing} with {model}"));
        let response = self.backend.client.generate_content(model, request).await;
        self.progress.done();
        Ok(response?)
    }

    /// Sends `request` to the Interactions API with the spinner showing `doing`.
    pub async fn interact(
        &self,
        request: CreateInteractionRequest,
        doing: &str,
    ) -> Result<Interaction, Failure> {
        let model = request.model.clone().unwrap_or_default();
        self.progress.start(format!("{doing} with {model}"));
        let answer = self.backend.client.interactions().create(request).await;
        self.progress.done();
        Ok(answer?)
    }

    /// Saves the images of the answer (every candidate's) and prints the report; no image is a
    /// failure that says why. An image not of the `asked` size is warned about.
    pub fn save_images(
        &self,
        model: &str,
        answer: &impl Answer,
        asked: Option<ImageSize>,
        output: Option<&Path>,
        default_stem: &str,
    ) -> Result<(), Failure> {
        let mut report = answer.report(&self.backend.name, model);
        let images = answer.all_images();
        let placed = images
            .iter()
            .enumerate()
            .map(|(index, image)| {
                let path = output::path_for(output, default_stem, index, images.len(), image);
                (image, path)
            })
            .collect();
        report.images = output::save_all(placed)?;
        if let Some(asked) = asked {
            // One line for the answer: its images share a size.
            let warning = report
                .images
                .iter()
                .find_map(|saved| size_check::mismatch(model, asked, saved.width?, saved.height?));
            if let Some(warning) = warning {
                self.progress.say(&warning);
            }
        }
        if images.is_empty() {
            let why = why_no_image(answer);
            report.blocked = Some(why.clone());
            report.print(self.json, self.show);
            return Err(Failure::Blocked(why));
        }
        report.print(self.json, self.show);
        Ok(())
    }
}

/// An answer of either API, as the commands print and save it.
pub trait Answer: ResponseExt {
    /// Every answer image, in order (of every candidate, for generateContent).
    fn all_images(&self) -> Vec<Image>;
    /// Text, finish reason and usage; images are added as they are saved.
    fn report(&self, backend: &str, model: &str) -> Report;
}

impl Answer for GenerateContentResponse {
    fn all_images(&self) -> Vec<Image> {
        self.candidates
            .iter()
            .filter_map(|c| c.content.as_ref())
            .flat_map(|c| &c.parts)
            .filter(|p| p.thought != Some(true))
            .filter_map(Image::from_part)
            .collect()
    }

    fn report(&self, backend: &str, model: &str) -> Report {
        Report::of(backend, model, self)
    }
}

impl Answer for Interaction {
    fn all_images(&self) -> Vec<Image> {
        self.images()
    }

    fn report(&self, backend: &str, model: &str) -> Report {
        Report::of_interaction(backend, model, self)
    }
}

/// `no image: IMAGE_SAFETY — Unable to show the generated image…`.
pub fn why_no_image(response: &impl ResponseExt) -> String {
    let with = |what: String, message: Option<String>| match message {
        Some(message) => format!("{what}: {message}"),
        None => what,
    };
    match response.outcome() {
        Outcome::PromptBlocked { reason, message } => with(
            format!(
                "the prompt was blocked ({})",
                reason
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "no reason given".into())
            ),
            message,
        ),
        Outcome::NoImage {
            finish_reason,
            message,
            ..
        } => with(
            format!(
                "no image ({})",
                finish_reason
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "no finish reason".into())
            ),
            message,
        ),
        Outcome::Images(_) => "no image".into(),
    }
}
