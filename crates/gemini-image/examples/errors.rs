//! What can go wrong, and how each failure looks: retried rate limits, errors to act on, images
//! that did not come. Against the mock, its scenario queue makes each failure happen on cue;
//! against Google the calls are ordinary ones (and most simply succeed).
//!
//! ```text
//! cargo run -p gemini-image --example errors
//! ```

mod support;

use std::time::{Duration, Instant};

use gemini_image::{Error, Outcome, ResponseExt, RetryPolicy};
use gemini_image_mock::Scenario;

#[tokio::main]
async fn main() -> support::Result {
    let target = support::connect().await?;
    let client = &target.client;
    let model = support::model(gemini_image::models::GEMINI_3_1_FLASH_IMAGE);
    // The next request gets `scenario` (a no-op against Google).
    let next = |scenario: Scenario| {
        if let Some(mock) = &target.mock {
            mock.enqueue(scenario);
        }
    };

    // A 429 whose RetryInfo asks for 1 s: the default policy waits and tries again.
    next(Scenario::RateLimit(Duration::from_secs(1)));
    let started = Instant::now();
    client.generate_image(&model, "a fox").await?;
    println!(
        "rate limited, retried, answered after {:.1?}",
        started.elapsed()
    );

    // The same without retries: the error says how long Google wants us to wait.
    next(Scenario::RateLimit(Duration::from_secs(3)));
    match client
        .with_retry(RetryPolicy::none())
        .generate_image(&model, "a fox")
        .await
    {
        Err(error) => println!(
            "without retries: {}\n  retryable: {}, retry after: {:?}",
            error.status().unwrap_or_default(),
            error.is_retryable(),
            error.retry_after()
        ),
        Ok(_) => println!("no rate limit this time"),
    }

    // A per-day quota: retrying today is pointless, so it is never retried.
    next(Scenario::DailyQuota(Duration::from_secs(20)));
    match client.generate_image(&model, "a fox").await {
        Err(Error::Api(api)) => println!("per-day quota: {}", api.is_daily_quota()),
        other => println!("no daily quota: {:?}", other.map(|r| r.text())),
    }

    // An unknown model: a 404 to act on, not to retry.
    if let Err(error) = client.generate_image("gemini-0-nonexistent", "a fox").await {
        println!("unknown model: {error}");
    }

    // An image the safety filter kept back is a value, not an error: match on it.
    next(Scenario::ImageSafety);
    match client.generate_image(&model, "a fox").await?.outcome() {
        Outcome::Images(images) => println!("{} image(s)", images.len()),
        Outcome::NoImage { finish_reason, .. } => {
            println!(
                "no image: {}",
                finish_reason.map(|r| r.to_string()).unwrap_or_default()
            )
        }
        Outcome::PromptBlocked { reason, .. } => {
            println!(
                "prompt blocked: {}",
                reason.map(|r| r.to_string()).unwrap_or_default()
            )
        }
    }

    // A per-call deadline.
    next(Scenario::Slow(Duration::from_secs(2)));
    let hurried = client
        .with_deadline(Duration::from_millis(200))
        .with_retry(RetryPolicy::none());
    match hurried.generate_image(&model, "a fox").await {
        Err(error) => println!("deadline: {error}"),
        Ok(_) => println!("answered within 200 ms"),
    }
    Ok(())
}
