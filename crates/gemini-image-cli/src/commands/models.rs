//! `gemini-image models`: the catalogue as a table — what the server lists, with each model's
//! lifecycle from the project's table, then the retired models the server no longer lists, with
//! their shutdown dates and what to use instead.

use futures_util::TryStreamExt;
use gemini_image::models::{self, Lifecycle, ModelInfo};
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
    let served: Vec<&str> = models
        .iter()
        .filter_map(|m| m.name.as_deref())
        .map(|name| name.trim_start_matches("models/"))
        .collect();
    let mut rows: Vec<[String; 5]> = models
        .iter()
        .map(|m| {
            let id = m
                .name
                .as_deref()
                .unwrap_or("")
                .trim_start_matches("models/")
                .to_string();
            let status = models::find(&id).map_or_else(|| "live".to_string(), status);
            [
                id,
                m.display_name.clone().unwrap_or_default(),
                format!(
                    "{}/{}",
                    m.input_token_limit.unwrap_or(0),
                    m.output_token_limit.unwrap_or(0)
                ),
                m.supported_generation_methods.join(", "),
                status,
            ]
        })
        .collect();
    // Retired models are no longer listed by Google: say when they went and what replaces them.
    rows.extend(
        models::MODELS
            .iter()
            .filter(|info| !served.contains(&info.id))
            .filter(|info| info.lifecycle() == Lifecycle::Retired)
            .map(|info| {
                [
                    info.id.to_string(),
                    info.display_name.to_string(),
                    "-".into(),
                    "-".into(),
                    status(info),
                ]
            }),
    );
    let header = ["MODEL", "NAME", "TOKENS IN/OUT", "METHODS", "STATUS"].map(String::from);
    let widths: Vec<usize> = (0..4)
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
            "{:w0$}  {:w1$}  {:w2$}  {:w3$}  {}",
            row[0],
            row[1],
            row[2],
            row[3],
            row[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
    }
    Ok(())
}

/// `live`, `retiring 2026-12-01 → X` or `retired 2026-10-02 → X`.
fn status(info: &ModelInfo) -> String {
    let instead = info
        .replacement
        .map(|r| format!(" → {r}"))
        .unwrap_or_default();
    let shutdown = info.shutdown.unwrap_or_default();
    match info.lifecycle() {
        Lifecycle::Live => "live".into(),
        Lifecycle::Retiring { days_left } => {
            format!("retiring {shutdown} (in {days_left} days){instead}")
        }
        Lifecycle::Retired => format!("retired {shutdown}{instead}"),
    }
}
