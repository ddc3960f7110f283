//! The conversation in either API, and its settings (model, shape, size), which `/model`,
//! `/aspect` and `/size` change between turns.

use gemini_image::types::Part;
use gemini_image::{Chat, Client, Image, InteractionChat, RequestBuilder};

use crate::args::{Api, PictureOptions};
use crate::commands::image::{interaction_with_options, with_options};
use crate::commands::{Answer, why_no_image};
use crate::failure::Failure;
use crate::output::Report;

/// A conversation (boxed: one lives for the whole session, and their sizes differ by hundreds
/// of bytes).
pub enum Conversation {
    GenerateContent(Box<Chat>),
    Interactions(Box<InteractionChat>),
}

/// A turn's answer, read.
pub struct Turn {
    pub report: Report,
    pub images: Vec<Image>,
    pub has_text: bool,
    /// Why there is no image, when there is none.
    pub why_no_image: Option<String>,
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
    /// A fresh conversation with `model` at `picture`'s settings.
    pub fn start(client: &Client, api: Api, model: &str, picture: &PictureOptions) -> Self {
        match api {
            Api::GenerateContent => Conversation::GenerateContent(Box::new(Chat::new(
                client,
                model,
                with_options(RequestBuilder::image(), picture).build(),
            ))),
            // Without a shape or size, no response format: the model answers in text and
            // image as Google's SDKs' chats ask it to.
            Api::Interactions if picture.aspect_ratio.is_none() && picture.size.is_none() => {
                Conversation::Interactions(Box::new(client.interactions().chat(model)))
            }
            Api::Interactions => Conversation::Interactions(Box::new(InteractionChat::new(
                client,
                interaction_with_options(model, picture).build(),
            ))),
        }
    }

    /// The same conversation with new settings. A generateContent chat keeps its history (it
    /// is sent again each turn); an Interactions chat starts afresh, for its history is on the
    /// server, tied to the settings it began with — `false` says so.
    pub fn resettle(&mut self, client: &Client, model: &str, picture: &PictureOptions) -> bool {
        match self {
            Conversation::GenerateContent(chat) => {
                let mut template = with_options(RequestBuilder::image(), picture).build();
                // Parts hold their bytes in `Bytes`: no image is copied.
                template.contents = chat.history().to_vec();
                **chat = Chat::new(client, model, template);
                true
            }
            Conversation::Interactions(_) => {
                *self = Conversation::start(client, Api::Interactions, model, picture);
                false
            }
        }
    }

    /// Forgets the turns.
    pub fn clear(&mut self) {
        match self {
            Conversation::GenerateContent(chat) => chat.clear(),
            Conversation::Interactions(chat) => chat.clear(),
        }
    }

    /// Drops the last exchange: `Some(dropped)`, or `None` when the API cannot (an
    /// Interactions chat keeps only the last interaction's id).
    pub fn undo(&mut self) -> Option<bool> {
        match self {
            Conversation::GenerateContent(chat) => Some(chat.undo()),
            Conversation::Interactions(_) => None,
        }
    }

    /// Sends one turn.
    pub async fn send(
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
