//! `gemini-image models`: the catalogue as a table.

use futures_util::TryStreamExt;
use gemini_image::types::Model;

use crate::commands::Context;
use crate::failure::Failure;

pub async fn run(context: &Context) -> Result<(), Failure> {
    context.progress.start("listing models");
    let models: Result<Vec<Model>, _> =
        context.backend.client.list_models(None).try_collect().await;
    context.progress.done();
    let models = models?;
    if context.json {
        let line = serde_json::to_string(&models).map_err(|e| Failure::Local(e.to_string()))?;
        println!("{line}");
        return Ok(());
    }
    let rows: Vec<[String; 4]> = models
        .iter()
        .map(|m| {
            [
                m.name
                    .as_deref()
                    .unwrap_or("")
                    .trim_start_matches("models/")
                    .to_string(),
                m.display_name.clone().unwrap_or_default(),
                format!(
                    "{}/{}",
                    m.input_token_limit.unwrap_or(0),
                    m.output_token_limit.unwrap_or(0)
                ),
                m.supported_generation_methods.join(", "),
            ]
        })
        .collect();
    let header = ["MODEL", "NAME", "TOKENS IN/OUT", "METHODS"].map(String::from);
    let widths: Vec<usize> = (0..3)
        .map(|i| {
            rows.iter()
                .chain([&header])
                .map(|r| r[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&header).chain(&rows) {
        println!(
            "{:w0$}  {:w1$}  {:w2$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        );
    }
    Ok(())
}
