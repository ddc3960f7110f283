//! [`InteractionChat`]: a multi-turn conversation on the Interactions API, for editing an image
//! turn after turn — stored (only the last interaction's id is kept) or stateless (the steps
//! kept and sent again).

use std::fmt;

use crate::OpenUnion;
use crate::client::Client;
use crate::error::Error;
use crate::interaction_request::InteractionRequest;
use crate::parts::IntoParts;
use crate::types::{
    CreateInteractionRequest, Interaction, InteractionInput, InteractionKnownInputItem,
    InteractionStep,
};

/// A conversation with one model over the Interactions API. A message is what
/// [`Chat::send`](crate::Chat::send) takes ([`IntoParts`]: text, [`image_part`](crate::image_part),
/// a file).
///
/// * **Stored** (the default, [`Interactions::chat`](crate::Interactions::chat)): the server
///   keeps the history — images and thought signatures included — so the chat keeps only the
///   last interaction's id, and each turn sends just its new message with
///   `previous_interaction_id`. An image goes once, with the turn that brings it.
/// * **Stateless** ([`InteractionChat::stateless`]): nothing is stored (`store: false`); the
///   chat keeps every step and sends them again each turn, the model's exactly as received
///   (thought signatures included, as Gemini 3 image models need to edit their own images).
///   Such a history grows by an image a turn: inline images that would push a turn past 20 MB
///   are uploaded through the Files API, and the history names them by URI from then on.
///
/// A turn that fails leaves the chat as it was, so it can be sent again.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let mock = gemini_image_mock::MockServer::start().await?;
/// use gemini_image::{Client, InteractionExt};
///
/// let client = Client::builder().api_key("k").base_url(mock.uri()).build()?;
/// let mut chat = client.interactions().chat("gemini-3-pro-image");
/// chat.send("draw a red bicycle").await?;
/// let first = chat.last_interaction_id().map(str::to_owned);
/// let edited = chat.send("make it blue").await?;
/// assert!(edited.output_image().is_some());
/// assert_ne!(chat.last_interaction_id(), first.as_deref());
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct InteractionChat {
    client: Client,
    /// The settings of every turn (model, response format, system instruction …), no input.
    template: CreateInteractionRequest,
    memory: Memory,
}

/// What the chat keeps between turns.
#[derive(Clone, Debug)]
enum Memory {
    /// The id of the last turn's interaction, which the server keeps.
    Stored(Option<String>),
    /// Every step so far, sent again each turn.
    Stateless(Vec<OpenUnion<InteractionStep>>),
}

impl fmt::Debug for InteractionChat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InteractionChat")
            .field("model", &self.template.model)
            .field("memory", &self.memory)
            .finish_non_exhaustive()
    }
}

impl InteractionChat {
    /// A stored conversation whose turns are sent with `template`'s settings (its input, if
    /// any, is ignored). With `store(false)` in the template it is a
    /// [stateless](Self::stateless) one.
    pub fn new(client: &Client, template: impl Into<CreateInteractionRequest>) -> Self {
        let mut template = template.into();
        template.input = None;
        template.previous_interaction_id = None;
        let memory = if template.store == Some(false) {
            Memory::Stateless(Vec::new())
        } else {
            Memory::Stored(None)
        };
        Self {
            client: client.clone(),
            template,
            memory,
        }
    }

    /// A stateless conversation (`store: false`) with `template`'s settings: the chat keeps the
    /// steps and sends them all again each turn.
    pub fn stateless(client: &Client, template: impl Into<CreateInteractionRequest>) -> Self {
        let mut template = template.into();
        template.store = Some(false);
        template.background = None;
        Self::new(client, template)
    }

    /// The id of the last turn's interaction (a stored chat, after its first turn).
    pub fn last_interaction_id(&self) -> Option<&str> {
        match &self.memory {
            Memory::Stored(id) => id.as_deref(),
            Memory::Stateless(_) => None,
        }
    }

    /// The steps so far, oldest first (a stateless chat; a stored one keeps none).
    pub fn history(&self) -> &[OpenUnion<InteractionStep>] {
        match &self.memory {
            Memory::Stored(_) => &[],
            Memory::Stateless(steps) => steps,
        }
    }

    /// Forgets the conversation (the settings stay).
    pub fn clear(&mut self) {
        match &mut self.memory {
            Memory::Stored(id) => *id = None,
            Memory::Stateless(steps) => steps.clear(),
        }
    }

    /// Sends one turn; the answer continues the chat.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let mock = gemini_image_mock::MockServer::start().await?;
    /// use gemini_image::{Client, InteractionChat, InteractionExt, InteractionRequest};
    /// use gemini_image::types::InteractionStep;
    ///
    /// let client = Client::builder().api_key("k").base_url(mock.uri()).build()?;
    /// let mut chat = InteractionChat::stateless(&client, InteractionRequest::new("gemini-3-pro-image"));
    /// chat.send("draw a red bicycle").await?;
    /// chat.send("make it blue").await?;
    /// // Both turns and both answers, thought steps with their signatures included.
    /// let thoughts = chat.history().iter().filter(|s| matches!(s.known(), Some(InteractionStep::Thought { .. }))).count();
    /// assert!(thoughts >= 2);
    /// assert_eq!(chat.last_interaction_id(), None);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// What [`Interactions::create`](crate::Interactions::create) fails with; the chat is left
    /// as it was.
    pub async fn send(&mut self, message: impl IntoParts) -> Result<Interaction, Error> {
        let mut request = InteractionRequest::from_request(self.template.clone()).parts(message);
        match &self.memory {
            Memory::Stored(Some(id)) => request = request.previous_interaction_id(id.clone()),
            Memory::Stored(None) => {}
            // Each step holds its bytes in `Bytes`: cloning the history copies no image.
            Memory::Stateless(steps) => request = request.history(steps.iter().cloned()),
        }
        let mut request = request.build();
        let fitted = self.client.fit_inline_limit(&mut request).await;
        // The history names what was uploaded by its file from now on — even when a later
        // upload failed — so that its megabytes are not sent again next turn.
        if let Memory::Stateless(steps) = &mut self.memory
            && !matches!(fitted, Ok(0))
        {
            let sent = sent_steps(&request);
            for (kept, sent) in steps.iter_mut().zip(sent) {
                *kept = sent;
            }
        }
        fitted?;
        let turn = sent_steps(&request).pop();
        // Already fitted: `create` finds nothing more to upload.
        let answer = self.client.interactions().create(request).await?;
        match &mut self.memory {
            Memory::Stored(id) => {
                if answer.id.is_some() {
                    id.clone_from(&answer.id);
                }
            }
            Memory::Stateless(steps) => {
                steps.extend(turn);
                steps.extend(answer.steps.iter().cloned());
            }
        }
        Ok(answer)
    }
}

/// The steps of a request's input, as sent.
fn sent_steps(request: &CreateInteractionRequest) -> Vec<OpenUnion<InteractionStep>> {
    match &request.input {
        Some(InteractionInput::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                OpenUnion::Known(InteractionKnownInputItem::Step(step)) => {
                    Some(OpenUnion::Known(step.clone()))
                }
                OpenUnion::Unknown(fields) => Some(OpenUnion::Unknown(fields.clone())),
                OpenUnion::Known(InteractionKnownInputItem::Content(_)) => None,
            })
            .collect(),
        Some(InteractionInput::String(text)) => {
            vec![OpenUnion::Known(InteractionStep::UserInput {
                content: vec![
                    crate::types::InteractionContent::Text {
                        annotations: Vec::new(),
                        text: Some(text.clone()),
                    }
                    .into(),
                ],
            })]
        }
        _ => Vec::new(),
    }
}
