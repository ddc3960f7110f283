//! `cargo xtask soak [--secs N] [--concurrency N] [--cache-mb N] [--journal-mb N]
//! [--margin-mb N] [--debug | --binary PATH]`: starts the mock on a loopback port with set
//! budgets and drives mixed traffic at it — cached and new images of every weight, streams,
//! edits, errors on purpose, stalled and aborting clients, a pixel bomb, a gzip bomb — at
//! `--concurrency` (64) for `--secs` (60). Every answer is checked. It fails on any answer
//! other than the intended one, a class's 99th percentile over its bound, the mock's peak
//! memory over its idle level plus 1.5 × its budgets (cache and journal), or its memory after
//! `POST /__mock/reset` more than `--margin-mb` (64) over its idle level. It prints requests,
//! errors, p50 and p99 per class, and the mock's RSS before, at its peak, after the load and
//! after the reset (`/proc/PID/status`: Linux only).
//!
//! The mock is a release build unless `--debug` (the dev profile, which `.ci/run` has built
//! already) or `--binary` names one.

mod checks;
mod http;
mod memory;
mod mock;
mod traffic;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;

use memory::Reading;
use traffic::{CLASSES, Class, Traffic};

/// The run's settings, from the command line.
struct Options {
    secs: u64,
    concurrency: usize,
    cache_mb: u64,
    journal_mb: u64,
    margin_mb: u64,
    release: bool,
    binary: Option<PathBuf>,
}

impl Options {
    fn parse(args: &[String]) -> Result<Self, String> {
        let mut options = Options {
            secs: 60,
            concurrency: 64,
            cache_mb: 256,
            journal_mb: 64,
            margin_mb: 64,
            release: true,
            binary: None,
        };
        let mut args = args.iter();
        while let Some(flag) = args.next() {
            let mut number = || -> Result<u64, String> {
                args.next()
                    .and_then(|value| value.parse().ok())
                    .ok_or_else(|| format!("{flag} takes a number"))
            };
            match flag.as_str() {
                "--secs" => options.secs = number()?,
                "--concurrency" => options.concurrency = number()? as usize,
                "--cache-mb" => options.cache_mb = number()?,
                "--journal-mb" => options.journal_mb = number()?,
                "--margin-mb" => options.margin_mb = number()?,
                "--debug" => options.release = false,
                "--binary" => {
                    options.binary = Some(
                        args.next()
                            .map(PathBuf::from)
                            .ok_or("--binary takes a path")?,
                    );
                }
                other => return Err(format!("cargo xtask soak: unknown option {other}")),
            }
        }
        if options.concurrency == 0 || options.secs == 0 {
            return Err("--secs and --concurrency must be above 0".into());
        }
        Ok(options)
    }

    /// The mock's flags: the budgets, and timeouts short enough for stalls to end in the run.
    fn mock_flags(&self) -> Vec<String> {
        let stall = format!("{}s", traffic::STALL_SECS);
        [
            "--cache-mb",
            &self.cache_mb.to_string(),
            "--journal-mb",
            &self.journal_mb.to_string(),
            "--header-timeout",
            &stall,
            "--body-timeout",
            &stall,
        ]
        .map(String::from)
        .to_vec()
    }
}

/// One request's outcome.
struct Outcome {
    class: Class,
    took: Duration,
    result: Result<(), String>,
}

pub fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let options = Options::parse(args)?;
    let binary = match &options.binary {
        Some(binary) => binary.clone(),
        None => mock::build(root, options.release)?,
    };
    let log = std::env::temp_dir().join(format!("gemini-mock-soak-{}.log", std::process::id()));
    let mock = mock::start(&binary, &options.mock_flags(), log)?;
    println!(
        "== soak: {} at {} for {} s, concurrency {}, --cache-mb {} --journal-mb {} (log: {})",
        binary.display(),
        mock.address,
        options.secs,
        options.concurrency,
        options.cache_mb,
        options.journal_mb,
        mock.log.display()
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting tokio: {e}"))?;
    runtime.block_on(soak(&options, &mock))
}

async fn soak(options: &Options, mock: &mock::Mock) -> Result<(), String> {
    wait_healthy(&mock.address).await?;
    let traffic = Arc::new(Traffic {
        address: mock.address.clone(),
        key: mock::KEY.into(),
        photo: photo(&mock.address).await?,
        oversized: traffic::oversized_body(),
        gzip_bomb: traffic::gzip_bomb(),
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = memory::read(mock.pid())?;

    let running = Arc::new(AtomicBool::new(true));
    let sampler = tokio::spawn(sample(mock.pid(), running.clone()));
    let outcomes = load(&traffic, options).await;
    running.store(false, Ordering::Relaxed);
    let (peak_sampled, threads) = sampler.await.unwrap_or_default();

    let mut failures = Vec::new();
    if let Err(error) = wait_healthy(&mock.address).await {
        failures.push(format!("after the load: {error}"));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after_load = memory::read(mock.pid())?;
    let reset = admin(&mock.address, "POST", "/__mock/reset").await;
    if !matches!(reset, Ok(200..=299)) {
        failures.push(format!("POST /__mock/reset: {reset:?}"));
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after_reset = memory::read(mock.pid())?;

    failures.extend(report_classes(&outcomes, options.secs));
    let peak = after_reset.peak_mib.max(peak_sampled);
    let budgets = (options.cache_mb + options.journal_mb) as f64;
    let peak_limit = before.rss_mib + 1.5 * budgets;
    let after_limit = before.rss_mib + options.margin_mb as f64;
    println!(
        "mock RSS: before {:.0} MiB, peak {:.0} MiB (limit {:.0}: before + 1.5 × {:.0} MiB of \
         budgets), after the load {:.0} MiB, after reset {:.0} MiB (limit {:.0}); threads at \
         most {threads}",
        before.rss_mib,
        peak,
        peak_limit,
        budgets,
        after_load.rss_mib,
        after_reset.rss_mib,
        after_limit
    );
    if peak > peak_limit {
        failures.push(format!("peak RSS {peak:.0} MiB over {peak_limit:.0} MiB"));
    }
    if after_reset.rss_mib > after_limit {
        failures.push(format!(
            "RSS after reset {:.0} MiB over {after_limit:.0} MiB",
            after_reset.rss_mib
        ));
    }
    if failures.is_empty() {
        println!("soak passed");
        Ok(())
    } else {
        Err(format!("the soak failed:\n  {}", failures.join("\n  ")))
    }
}

/// `concurrency` clients, each sending one request after another until the time is up.
async fn load(traffic: &Arc<Traffic>, options: &Options) -> Vec<Outcome> {
    // The classes, each as many times as its share: a request's number picks one, scattered.
    let table: Arc<Vec<Class>> = Arc::new(
        CLASSES
            .iter()
            .flat_map(|&(class, share, _)| std::iter::repeat_n(class, share as usize))
            .collect(),
    );
    let counter = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + Duration::from_secs(options.secs);
    let clients: Vec<_> = (0..options.concurrency)
        .map(|_| {
            let (traffic, table, counter) = (traffic.clone(), table.clone(), counter.clone());
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                while Instant::now() < end {
                    let n = counter.fetch_add(1, Ordering::Relaxed);
                    let pick = (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as usize;
                    let class = table[pick % table.len()];
                    let started = Instant::now();
                    let result = class.run(&traffic, n).await;
                    outcomes.push(Outcome {
                        class,
                        took: started.elapsed(),
                        result,
                    });
                }
                outcomes
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for client in clients {
        match client.await {
            Ok(some) => outcomes.extend(some),
            Err(error) => outcomes.push(Outcome {
                class: Class::Cached,
                took: Duration::ZERO,
                result: Err(format!("a client task failed: {error}")),
            }),
        }
    }
    outcomes
}

/// Prints one line per class (requests, errors, p50, p99 against its bound) and the first
/// errors; gives back what failed.
fn report_classes(outcomes: &[Outcome], secs: u64) -> Vec<String> {
    let mut failures = Vec::new();
    println!(
        "{:<20} {:>8} {:>7} {:>9} {:>9} {:>9}",
        "class", "requests", "errors", "p50 ms", "p99 ms", "p99 max"
    );
    for &(class, _, bound) in CLASSES {
        let mine: Vec<&Outcome> = outcomes.iter().filter(|o| o.class == class).collect();
        let mut took: Vec<Duration> = mine.iter().map(|o| o.took).collect();
        took.sort();
        let errors: Vec<&String> = mine
            .iter()
            .filter_map(|o| o.result.as_ref().err())
            .collect();
        let (p50, p99) = (percentile(&took, 0.50), percentile(&took, 0.99));
        println!(
            "{:<20} {:>8} {:>7} {:>9} {:>9} {:>9}",
            class.name(),
            mine.len(),
            errors.len(),
            p50.as_millis(),
            p99.as_millis(),
            bound.as_millis()
        );
        for error in errors.iter().take(3) {
            println!("    error: {error}");
        }
        if !errors.is_empty() {
            failures.push(format!("{}: {} errors", class.name(), errors.len()));
        }
        if p99 > bound {
            failures.push(format!(
                "{}: p99 {} ms over {} ms",
                class.name(),
                p99.as_millis(),
                bound.as_millis()
            ));
        }
    }
    println!(
        "{} requests in {secs} s ({:.0}/s)",
        outcomes.len(),
        outcomes.len() as f64 / secs as f64
    );
    failures
}

/// The `q` quantile of sorted durations (zero when there are none).
fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The highest RSS (MiB) and thread count seen while `running`, read every 100 ms.
async fn sample(pid: u32, running: Arc<AtomicBool>) -> (f64, u64) {
    let (mut rss, mut threads) = (0f64, 0u64);
    while running.load(Ordering::Relaxed) {
        if let Ok(Reading {
            rss_mib,
            threads: now,
            ..
        }) = memory::read(pid)
        {
            rss = rss.max(rss_mib);
            threads = threads.max(now);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (rss, threads)
}

/// Waits for `GET /__mock/health` to answer 200 (30 s at most).
async fn wait_healthy(address: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match admin(address, "GET", "/__mock/health").await {
            Ok(200) => return Ok(()),
            outcome if Instant::now() > deadline => {
                return Err(format!("the mock is not healthy: {outcome:?}"));
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// The status of an admin request.
async fn admin(address: &str, method: &'static str, path: &str) -> Result<u16, String> {
    let request = http::Request {
        method,
        path: path.into(),
        headers: Vec::new(),
        body: Vec::new(),
    };
    let answer = http::exchange(address, mock::KEY, &request, Duration::from_secs(10)).await?;
    Ok(answer.status)
}

/// A 1K JPEG drawn by the mock, base64: the photo the edits send (as heavy as a real one).
async fn photo(address: &str) -> Result<String, String> {
    let body = serde_json::json!({
        "contents": [{"role": "user", "parts": [{"text": "a harbour at dawn, the photo to edit"}]}],
        "generationConfig": {"responseModalities": ["IMAGE"], "imageConfig": {"imageSize": "1K"}}
    });
    let request = http::Request::post_json(
        "/v1beta/models/gemini-3.1-flash-image:generateContent".into(),
        serde_json::to_vec(&body).unwrap_or_default(),
    );
    let answer = http::exchange(address, mock::KEY, &request, Duration::from_secs(60)).await?;
    let answer: serde_json::Value =
        serde_json::from_slice(&answer.body).map_err(|e| format!("the photo's answer: {e}"))?;
    let data = answer["candidates"][0]["content"]["parts"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|part| part["inlineData"]["data"].as_str())
        .ok_or("the photo's answer has no image")?;
    // Checked once here, so that an edit's failure is the edit's.
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| format!("the photo's base64: {e}"))?;
    checks::jpeg_size(&bytes)?;
    Ok(data.to_string())
}
