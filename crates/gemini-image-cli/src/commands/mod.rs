//! One module per subcommand, and what the image-making ones share.

pub mod chat;
pub mod edit;
pub mod files;
pub mod image;
pub mod imagen;
pub mod models;
pub mod tokens;

use std::path::Path;

use gemini_image::types::{GenerateContentRequest, GenerateContentResponse};
use gemini_image::{Image, Outcome, ResponseExt};

use crate::backend::Backend;
use crate::failure::Failure;
use crate::output::{self, Report};
use crate::progress::Progress;

/// What every command gets.
pub struct Context {
    pub backend: Backend,
    pub progress: Progress,
    pub json: bool,
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

    /// Saves the images of every candidate and prints the report; no image is a failure
    /// that says why.
    pub fn save_images(
        &self,
        model: &str,
        response: &GenerateContentResponse,
        output: Option<&Path>,
        default_stem: &str,
    ) -> Result<(), Failure> {
        let mut report = Report::of(&self.backend.name, model, response);
        let images = all_images(response);
        let placed = images
            .iter()
            .enumerate()
            .map(|(index, image)| {
                let path = output::path_for(output, default_stem, index, images.len(), image);
                (image, path)
            })
            .collect();
        report.images = output::save_all(placed)?;
        if images.is_empty() {
            let why = why_no_image(response);
            report.blocked = Some(why.clone());
            report.print(self.json);
            return Err(Failure::Blocked(why));
        }
        report.print(self.json);
        Ok(())
    }
}

/// The answer images of every candidate, in order.
pub fn all_images(response: &GenerateContentResponse) -> Vec<Image> {
    response
        .candidates
        .iter()
        .filter_map(|c| c.content.as_ref())
        .flat_map(|c| &c.parts)
        .filter(|p| p.thought != Some(true))
        .filter_map(Image::from_part)
        .collect()
}

/// `no image: IMAGE_SAFETY — Unable to show the generated image…`.
pub fn why_no_image(response: &GenerateContentResponse) -> String {
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
