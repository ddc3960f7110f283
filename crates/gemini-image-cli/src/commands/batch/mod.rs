//! `gemini-image batch run|submit|status|wait|results|cancel|delete|list`: Gemini's batch mode,
//! half the price of one call at a time, within 24 hours.
//!
//! `run` does it all and remembers its batch in the output directory ([`resume`]), so the same
//! command run again after an interruption (a closed laptop, a Ctrl-C, a deadline) picks the
//! batch up where it is instead of paying for it twice.

mod prompts;
mod resume;

use std::path::Path;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use gemini_image::types::{BatchOperation, GenerateContentRequest};
use gemini_image::{BatchExt, BatchOptions, Error, JobState, RequestBuilder};
use serde_json::json;

use crate::args::{BatchCommand, BatchInputKind, BatchRunArgs, BatchSubmitArgs};
use crate::commands::Context;
use crate::commands::image::with_options;
use crate::failure::Failure;
use crate::output::{json_line, print_fields, print_table};
use prompts::{Ask, Prompt};
use resume::RunState;

pub async fn run(context: &Context, command: BatchCommand) -> Result<(), Failure> {
    match command {
        BatchCommand::Run(args) => run_all(context, args).await,
        BatchCommand::Submit(args) => {
            let prompts = prompts::read(&args.prompts)?;
            let batch = submit(context, &args, &prompts).await?;
            print_batch(context, &batch)
        }
        BatchCommand::Status { name } => {
            context.progress.start("reading the batch");
            let batch = context.backend.client.batches().get(&name).await;
            context.progress.done();
            print_batch(context, &batch?)
        }
        BatchCommand::Wait { name, deadline } => {
            let batch = wait(context, &name, deadline.deadline).await?;
            print_batch(context, &batch)
        }
        BatchCommand::Results { name, output } => {
            context.progress.start("reading the batch");
            let batch = context.backend.client.batches().get(&name).await;
            context.progress.done();
            save(context, &batch?, &output).await
        }
        BatchCommand::Cancel { name } => {
            context.progress.start("cancelling");
            let cancelled = context.backend.client.batches().cancel(&name).await;
            context.progress.done();
            cancelled?;
            said(context, "cancelled", &name)
        }
        BatchCommand::Delete { name } => {
            context.progress.start("deleting");
            let deleted = context.backend.client.batches().delete(&name).await;
            context.progress.done();
            deleted?;
            said(context, "deleted", &name)
        }
        BatchCommand::List { page_size } => list(context, page_size).await,
    }
}

/// `batches/{id}` for a name given with or without its prefix.
fn full_name(name: &str) -> String {
    format!("batches/{}", name.strip_prefix("batches/").unwrap_or(name))
}

fn said(context: &Context, done: &str, name: &str) -> Result<(), Failure> {
    let name = full_name(name);
    if context.json {
        return json_line(&json!({ done: name }));
    }
    println!("{done} {name}");
    Ok(())
}

/// Submits the batch (or finds the one this directory remembers), waits for it and saves its
/// images.
async fn run_all(context: &Context, args: BatchRunArgs) -> Result<(), Failure> {
    let dir = args.output.as_path();
    let prompts = prompts::read(&args.submit.prompts)?;
    let fingerprint = fingerprint(&args.submit, &prompts);
    let name = match resume::load(dir)? {
        Some(state) if state.fingerprint != fingerprint => {
            return Err(Failure::Local(format!(
                "{} holds the run of {} for other prompts or options: choose another -o \
                 directory, or delete {} to start a new batch there",
                dir.display(),
                state.batch,
                dir.join(resume::FILE).display()
            )));
        }
        Some(state) if state.saved => {
            context.progress.say(&format!(
                "{} already holds the images of {}",
                dir.display(),
                state.batch
            ));
            return Ok(());
        }
        Some(state) => {
            context.progress.say(&format!(
                "resuming {} (remembered in {})",
                state.batch,
                dir.display()
            ));
            state.batch
        }
        None => submit_and_remember(context, &args, &prompts, &fingerprint).await?,
    };
    let batch = match wait(context, &name, args.deadline.deadline).await {
        // Offline and free: a batch the built-in mock forgot is simply made again.
        Err(Failure::Api(Error::Api(error)))
            if error.http_status == 404 && context.backend.is_built_in_mock() =>
        {
            context.progress.say(&format!(
                "the built-in mock forgot {name} when its command ended: submitting again \
                 (offline, free)"
            ));
            let name = submit_and_remember(context, &args, &prompts, &fingerprint).await?;
            wait(context, &name, args.deadline.deadline).await?
        }
        waited => waited.map_err(|failure| gone(failure, &name, dir))?,
    };
    save(context, &batch, dir).await?;
    let name = batch.batch_name().unwrap_or(&name).to_owned();
    resume::store(
        dir,
        &RunState {
            batch: name,
            fingerprint,
            saved: true,
        },
    )
}

/// Submits the batch and remembers it in the output directory before anything else can stop
/// the command.
async fn submit_and_remember(
    context: &Context,
    args: &BatchRunArgs,
    prompts: &[Prompt],
    fingerprint: &str,
) -> Result<String, Failure> {
    let batch = submit(context, &args.submit, prompts).await?;
    let name = batch
        .batch_name()
        .map(str::to_owned)
        .ok_or_else(|| Failure::Local("the server named no batch".into()))?;
    resume::store(
        &args.output,
        &RunState {
            batch: name.clone(),
            fingerprint: fingerprint.to_owned(),
            saved: false,
        },
    )?;
    context.progress.say(&format!(
        "submitted {name}: {} requests; if this stops, run the same command again to resume",
        prompts.len()
    ));
    Ok(name)
}

/// A remembered batch the server does not know (deleted, or made by a mock since restarted)
/// says what to do.
fn gone(failure: Failure, name: &str, dir: &Path) -> Failure {
    match failure {
        Failure::Api(Error::Api(error)) if error.http_status == 404 => Failure::Local(format!(
            "{name}, remembered in {}, is not on this server (deleted, or made by a mock since \
             restarted): delete {} to submit the batch again",
            dir.display(),
            dir.join(resume::FILE).display()
        )),
        other => other,
    }
}

/// Everything that decides the batch's requests.
fn fingerprint(args: &BatchSubmitArgs, prompts: &[Prompt]) -> String {
    let ratio = args.picture.aspect_ratio.map(|r| r.to_string());
    let size = args.picture.size.map(|s| s.to_string());
    let settings = [
        args.model.as_str(),
        ratio.as_deref().unwrap_or(""),
        size.as_deref().unwrap_or(""),
    ];
    let asks: Vec<String> = prompts
        .iter()
        .map(|p| match &p.ask {
            Ask::Text(text) => text.clone(),
            // The request as it will be sent.
            Ask::Request(request) => serde_json::to_string(request).unwrap_or_default(),
        })
        .collect();
    resume::fingerprint(
        settings.into_iter().chain(
            prompts
                .iter()
                .zip(&asks)
                .flat_map(|(p, ask)| [p.key.as_str(), ask.as_str()]),
        ),
    )
}

async fn submit(
    context: &Context,
    args: &BatchSubmitArgs,
    prompts: &[Prompt],
) -> Result<BatchOperation, Failure> {
    if prompts.is_empty() {
        return Err(Failure::Local(format!(
            "{}: no prompts (one per line)",
            args.prompts.display()
        )));
    }
    let whole_requests = prompts.iter().any(|p| matches!(p.ask, Ask::Request(_)));
    if whole_requests && (args.picture.aspect_ratio.is_some() || args.picture.size.is_some()) {
        return Err(Failure::Local(format!(
            "{}: its lines are whole requests, each with its own generationConfig: \
             --aspect-ratio and --size are for a file of prompts",
            args.prompts.display()
        )));
    }
    let requests = || {
        prompts.iter().map(|prompt| {
            let request: GenerateContentRequest = match &prompt.ask {
                Ask::Text(text) => {
                    with_options(RequestBuilder::image().text(text), &args.picture).build()
                }
                Ask::Request(request) => (**request).clone(),
            };
            (prompt.key.clone(), request)
        })
    };
    let display_name = args.display_name.clone().unwrap_or_else(|| {
        args.prompts
            .file_stem()
            .map_or_else(|| "prompts".into(), |s| s.to_string_lossy().into_owned())
    });
    let options = BatchOptions::new().display_name(display_name);
    let batches = context.backend.client.batches();
    let model = args.model.as_str();
    context
        .progress
        .start(format!("submitting {} requests to {model}", prompts.len()));
    let created = match args.input {
        BatchInputKind::Inline => batches.create_inline(model, requests(), options).await,
        BatchInputKind::File => {
            batches
                .create_from_requests(model, requests(), options)
                .await
        }
        BatchInputKind::Auto => {
            match batches
                .create_inline(model, requests(), options.clone())
                .await
            {
                Err(Error::InlineBatchTooLarge { .. }) => {
                    context
                        .progress
                        .start("over 20 MB inline: uploading the requests as a JSONL file");
                    batches
                        .create_from_requests(model, requests(), options)
                        .await
                }
                other => other,
            }
        }
    };
    context.progress.done();
    Ok(created?)
}

/// Polls until the batch has finished, with a bar of its requests done (or, when stderr is
/// not a terminal, a line each time its state changes).
async fn wait(
    context: &Context,
    name: &str,
    deadline: Duration,
) -> Result<BatchOperation, Failure> {
    let shown = full_name(name);
    let bar = context.progress.items(shown.clone());
    let mut last_state: Option<JobState> = None;
    let progress = &context.progress;
    let waited = context
        .backend
        .client
        .batches()
        .wait(name, deadline, |batch| {
            let state = batch.state();
            let counts = batch.stats();
            bar.set_length(counts.requests);
            bar.set_position(counts.done());
            bar.set_message(format!("{shown} {}", state_word(&state)));
            if bar.is_hidden() && last_state.as_ref() != Some(&state) {
                progress.say(&format!(
                    "{shown}: {} ({} of {} done)",
                    state_word(&state),
                    counts.done(),
                    counts.requests
                ));
            }
            last_state = Some(state);
        })
        .await;
    bar.finish_and_clear();
    match waited {
        Err(Error::Timeout(after)) => Err(Failure::Local(format!(
            "{shown} has not finished after {}: it goes on; run `gemini-image batch wait \
             {shown}` (or the same `batch run`) later",
            humantime::format_duration(after)
        ))),
        other => Ok(other?),
    }
}

/// `running`, `succeeded` … (the wire's `BATCH_STATE_RUNNING`, for people).
fn state_word(state: &JobState) -> String {
    let wire = state.as_str();
    wire.strip_prefix("BATCH_STATE_")
        .or_else(|| wire.strip_prefix("JOB_STATE_"))
        .unwrap_or(wire)
        .to_ascii_lowercase()
}

/// Saves every image of a finished batch into `dir` as the results arrive, printing where each
/// went; a request's failure is said on stderr, and any makes the command fail once all the
/// others are saved.
async fn save(context: &Context, batch: &BatchOperation, dir: &Path) -> Result<(), Failure> {
    let name = batch.batch_name().unwrap_or("the batch").to_owned();
    let counts = batch.stats();
    let bar = context
        .progress
        .items(format!("saving into {}", dir.display()));
    bar.set_length(counts.requests);
    let saved = context
        .backend
        .client
        .batches()
        .save_images(batch, dir)
        .await;
    let mut saved = match saved {
        Ok(saved) => saved,
        Err(error) => {
            bar.finish_and_clear();
            return Err(error.into());
        }
    };
    let (mut images, mut requests, mut failed, mut tokens) = (0usize, 0usize, 0usize, 0u64);
    while let Some(item) = saved.next().await {
        let item = match item {
            Ok(item) => item,
            Err(error) => {
                bar.finish_and_clear();
                return Err(error.into());
            }
        };
        requests += 1;
        bar.inc(1);
        tokens += item
            .usage
            .and_then(|u| u.total_token_count)
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0);
        let key = item.key;
        match item.images {
            Ok(paths) => {
                images += paths.len();
                if context.json {
                    json_line(&json!({ "key": key, "images": paths }))?;
                } else {
                    for path in paths {
                        bar.suspend(|| println!("{key}\t{}", path.display()));
                    }
                }
            }
            Err(error) => {
                failed += 1;
                if context.json {
                    json_line(&json!({ "key": key, "error": error.to_string() }))?;
                }
                context.progress.say(&format!("{key}: {error}"));
            }
        }
    }
    bar.finish_and_clear();
    // Prices change and differ by model; tokens are what the bill counts, and batch mode
    // bills each at half the interactive price.
    let summary = format!(
        "{name}: saved {images} images of {requests} requests into {}; {tokens} tokens billed \
         at half price, saving the price of {} tokens against one call at a time",
        dir.display(),
        tokens / 2
    );
    if failed > 0 {
        return Err(Failure::Partial(format!(
            "{summary}; {failed} requests failed (said above)"
        )));
    }
    context.progress.say(&summary);
    Ok(())
}

fn print_batch(context: &Context, batch: &BatchOperation) -> Result<(), Failure> {
    let counts = batch.stats();
    let metadata = batch.metadata.as_ref();
    let inline = batch.inlined_responses().map(<[_]>::len);
    let failure = batch.failure().map(|e| e.message);
    if context.json {
        return json_line(&json!({
            "name": batch.batch_name(),
            "displayName": metadata.and_then(|m| m.display_name.as_deref()),
            "model": metadata.and_then(|m| m.model.as_deref()),
            "state": batch.state().as_str(),
            "requests": counts.requests,
            "succeeded": counts.succeeded,
            "failed": counts.failed,
            "pending": counts.pending,
            "created": metadata.and_then(|m| m.create_time.as_deref()),
            "ended": metadata.and_then(|m| m.end_time.as_deref()),
            "resultsFile": batch.responses_file(),
            "inlineResults": inline,
            "error": failure,
        }));
    }
    let state = batch.state();
    let counts_line = format!(
        "{} requests: {} succeeded, {} failed, {} pending",
        counts.requests, counts.succeeded, counts.failed, counts.pending
    );
    let display_name = metadata.and_then(|m| m.display_name.as_deref());
    let inline = inline.map(|n| n.to_string());
    print_fields(&[
        ("name", batch.batch_name()),
        ("display name", display_name),
        ("model", metadata.and_then(|m| m.model.as_deref())),
        ("state", Some(state.as_str())),
        ("requests", Some(counts_line.as_str())),
        ("created", metadata.and_then(|m| m.create_time.as_deref())),
        ("ended", metadata.and_then(|m| m.end_time.as_deref())),
        ("results file", batch.responses_file()),
        ("inline results", inline.as_deref()),
        ("error", failure.as_deref()),
    ]);
    Ok(())
}

async fn list(context: &Context, page_size: Option<u32>) -> Result<(), Failure> {
    context.progress.start("listing batches");
    let batches: Result<Vec<BatchOperation>, _> = context
        .backend
        .client
        .batches()
        .list(page_size)
        .try_collect()
        .await;
    context.progress.done();
    let batches = batches?;
    if context.json {
        for batch in &batches {
            print_batch(context, batch)?;
        }
        return Ok(());
    }
    if batches.is_empty() {
        println!("no batches");
        return Ok(());
    }
    let rows: Vec<[String; 5]> = batches
        .iter()
        .map(|b| {
            let metadata = b.metadata.as_ref();
            let counts = b.stats();
            [
                b.batch_name().unwrap_or_default().to_owned(),
                metadata
                    .and_then(|m| m.display_name.clone())
                    .unwrap_or_default(),
                state_word(&b.state()),
                format!("{}/{}", counts.done(), counts.requests),
                metadata
                    .and_then(|m| m.create_time.clone())
                    .unwrap_or_default(),
            ]
        })
        .collect();
    print_table(["NAME", "DISPLAY NAME", "STATE", "DONE", "CREATED"], &rows);
    Ok(())
}
