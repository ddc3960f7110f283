//! `gemini-image tokens "TEXT"`: what a prompt costs in tokens.

use gemini_image::types::{Content, CountTokensRequest};

use crate::args::TokensArgs;
use crate::commands::Context;
use crate::failure::Failure;

pub async fn run(context: &Context, args: TokensArgs) -> Result<(), Failure> {
    let request = CountTokensRequest {
        contents: vec![Content {
            parts: vec![args.text.into()],
            role: Some("user".into()),
        }],
        generate_content_request: None,
    };
    context.progress.start("counting");
    let counted = context
        .backend
        .client
        .count_tokens(&args.model, &request)
        .await;
    context.progress.done();
    let counted = counted?;
    if context.json {
        let line = serde_json::to_string(&counted).map_err(|e| Failure::Local(e.to_string()))?;
        println!("{line}");
    } else {
        println!("{} tokens", counted.total_tokens.unwrap_or(0));
    }
    Ok(())
}
