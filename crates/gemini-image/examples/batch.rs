//! Batch mode (half the price, a 24-hour target): a few image prompts sent as one batch, the
//! batch followed with its counts until it is done, and every image saved under
//! `gemini-out/batch/<key>.<ext>` as the results arrive. Prompts on the command line (one
//! argument each) replace the default ones.
//!
//! The requests go as a JSONL file (written on disk a line at a time, uploaded through the
//! Files API), the form for any number of requests; `--inline` sends them inside the request
//! instead (at most 20 MB in all).
//!
//! ```text
//! cargo run -p gemini-image --example batch -- "a red fox" "a blue whale"
//! cargo run -p gemini-image --example batch -- --inline "a red fox"
//! ```

mod support;

use std::time::Duration;

use futures_util::StreamExt;
use gemini_image::{BatchExt, BatchOptions, RequestBuilder};

#[tokio::main]
async fn main() -> support::Result {
    let target = support::connect().await?;
    let model = support::model(gemini_image::models::GEMINI_3_1_FLASH_IMAGE);
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let inline = args
        .iter()
        .position(|a| a == "--inline")
        .map(|at| args.remove(at));
    let prompts = if args.is_empty() {
        vec![
            "a red fox in the snow".to_string(),
            "a blue whale at dusk".to_string(),
        ]
    } else {
        args
    };
    // Keys name the results: `fox`, `whale` for the defaults, `prompt-N` otherwise.
    let keyed = prompts.iter().enumerate().map(|(i, prompt)| {
        let key = match prompt.as_str() {
            "a red fox in the snow" => "fox".to_string(),
            "a blue whale at dusk" => "whale".to_string(),
            _ => format!("prompt-{i}"),
        };
        (key, RequestBuilder::image().text(prompt).build())
    });

    let batches = target.client.batches();
    let options = BatchOptions::new().display_name("batch example");
    let created = match inline {
        Some(_) => batches.create_inline(&model, keyed, options).await?,
        None => batches.create_from_requests(&model, keyed, options).await?,
    };
    let name = created
        .batch_name()
        .ok_or("the batch came back without a name")?
        .to_owned();
    eprintln!("{name}: {}", created.state());

    // Google's batches take minutes to hours; the mock's run at once.
    let done = batches
        .wait(&name, Duration::from_secs(24 * 3600), |batch| {
            let counts = batch.stats();
            eprintln!(
                "{}: {} of {} done ({} failed)",
                batch.state(),
                counts.done(),
                counts.requests,
                counts.failed
            );
        })
        .await?;
    if let Some(error) = done.failure() {
        return Err(format!("{name} failed: {error}").into());
    }

    let dir = support::output("batch")?;
    let mut saved = batches.save_images(&done, &dir).await?;
    while let Some(item) = saved.next().await {
        let item = item?;
        match item.images {
            Ok(paths) => {
                for path in paths {
                    println!("{}: {}", item.key, path.display());
                }
            }
            Err(error) => eprintln!("{}: {error}", item.key),
        }
    }
    Ok(())
}
