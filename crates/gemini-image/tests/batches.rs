//! Batch mode against the real `gemini-image-mock` over loopback: inline and file batches of
//! image prompts with their images per key, results streamed from the results file, saved
//! images, list paging, cancel, delete, wait with progress, a failed line, a failed batch, an
//! inline batch refused before it is sent.

mod support;

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::{StreamExt, TryStreamExt};
use gemini_image::types::GenerateContentRequest;
use gemini_image::{
    BatchExt, BatchOptions, BatchResults, Client, Error, JobState, RequestBuilder, ResponseExt,
    models,
};
use gemini_image_mock::MockServer;

const KEY: &str = "batches-test-key-18";
const MODEL: &str = models::GEMINI_3_1_FLASH_IMAGE;
const WAIT: Duration = Duration::from_secs(60);

fn client(server: &MockServer) -> Client {
    support::quick_client(KEY, &server.uri())
}

fn prompts(keys: &[&str]) -> Vec<(String, GenerateContentRequest)> {
    keys.iter()
        .map(|key| {
            let prompt = format!("a picture of a {key}");
            (
                (*key).to_owned(),
                RequestBuilder::image().text(prompt).build(),
            )
        })
        .collect()
}

/// Every result by key; a request's error kept as the error.
async fn by_key(
    results: BatchResults,
) -> BTreeMap<String, Result<gemini_image::types::GenerateContentResponse, gemini_image::ApiError>>
{
    results
        .map(|item| item.expect("a results item"))
        .collect()
        .await
}

fn assert_decodable(key: &str, response: &gemini_image::types::GenerateContentResponse) {
    let images = response.images();
    assert_eq!(images.len(), 1, "{key}: one image");
    let decoded = image::load_from_memory(&images[0].bytes)
        .unwrap_or_else(|e| panic!("{key}: the image decodes: {e}"));
    assert!(decoded.width() > 0 && decoded.height() > 0);
}

async fn finished(
    client: &Client,
    created: &gemini_image::types::BatchOperation,
) -> gemini_image::types::BatchOperation {
    let name = created.batch_name().expect("a batch name").to_owned();
    client
        .batches()
        .wait(&name, WAIT, |_| {})
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[tokio::test]
async fn an_inline_batch_of_image_prompts_gives_a_decodable_image_per_key() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let keys = ["fox", "whale", "owl"];
    let created = client
        .batches()
        .create_inline(
            MODEL,
            prompts(&keys),
            BatchOptions::new().display_name("inline"),
        )
        .await
        .unwrap();
    assert!(
        created
            .batch_name()
            .is_some_and(|n| n.starts_with("batches/"))
    );
    let done = finished(&client, &created).await;
    assert_eq!(done.state(), JobState::Succeeded);
    assert!(
        done.inlined_responses().is_some(),
        "inline input, inline output"
    );
    assert_eq!(done.stats().succeeded, 3);
    let results = by_key(client.batches().results(&done).await.unwrap()).await;
    assert_eq!(
        results.keys().map(String::as_str).collect::<Vec<_>>(),
        ["fox", "owl", "whale"]
    );
    for (key, answer) in &results {
        assert_decodable(key, answer.as_ref().unwrap());
    }
}

#[tokio::test]
async fn a_file_batch_written_by_batch_input_streams_its_results_from_the_results_file() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let keys = ["cat/1", "cat 2", "dog"];
    let created = client
        .batches()
        .create_from_requests(MODEL, prompts(&keys), BatchOptions::new())
        .await
        .unwrap();
    let input = created
        .metadata
        .as_ref()
        .and_then(|m| m.input_config.as_ref())
        .and_then(|c| c.file_name.clone())
        .expect("the input file is named");
    assert!(input.starts_with("files/"), "{input}");
    let done = finished(&client, &created).await;
    let file = done.responses_file().expect("a results file").to_owned();
    assert!(file.starts_with("files/batch-"), "{file}");
    let results = by_key(client.batches().results(&done).await.unwrap()).await;
    assert_eq!(results.len(), 3);
    for key in keys {
        assert_decodable(key, results[key].as_ref().unwrap());
    }

    // Saved by key, names made safe; each file an image.
    let dir = std::env::temp_dir().join(format!("batch-save-{}", std::process::id()));
    let saved: Vec<_> = client
        .batches()
        .save_images(&done, &dir)
        .await
        .unwrap()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(saved.len(), 3);
    for item in saved {
        let key = item.key;
        let paths = item.images.unwrap_or_else(|e| panic!("{key}: {e}"));
        let usage = item.usage.unwrap_or_else(|| panic!("{key}: no usage"));
        assert!(usage.total_token_count.unwrap_or(0) > 0, "{key}: {usage:?}");
        assert_eq!(paths.len(), 1);
        assert!(paths[0].starts_with(&dir));
        let stem = gemini_image::safe_file_stem(&key);
        assert!(
            paths[0].file_stem().unwrap().to_str().unwrap() == stem,
            "{key}"
        );
        image::open(&paths[0]).unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn list_pages_through_every_batch_and_delete_removes_one() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let mut names = Vec::new();
    for i in 0..5 {
        let created = client
            .batches()
            .create_inline(MODEL, prompts(&[&format!("k{i}")]), BatchOptions::new())
            .await
            .unwrap();
        names.push(created.batch_name().unwrap().to_owned());
    }
    let listed: Vec<_> = client.batches().list(Some(2)).try_collect().await.unwrap();
    let listed: Vec<_> = listed
        .iter()
        .filter_map(|b| b.batch_name().map(str::to_owned))
        .collect();
    for name in &names {
        assert!(listed.contains(name), "{name} listed in {listed:?}");
    }
    assert_eq!(listed.len(), names.len(), "each once");
    let pages: Vec<_> = server
        .received_requests()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.ends_with("/batches"))
        .map(|r| r.query.get("pageToken").cloned())
        .collect();
    assert_eq!(pages.len(), 3, "5 batches, 2 a page: {pages:?}");
    assert_eq!(pages[0], None);
    assert!(pages[1..].iter().all(Option::is_some), "{pages:?}");

    client.batches().delete(&names[0]).await.unwrap();
    let gone = client.batches().get(&names[0]).await.unwrap_err();
    assert_eq!(gone.status(), Some(404), "{gone}");
    // Also by its bare id.
    let id = names[1].trim_start_matches("batches/");
    assert_eq!(
        client.batches().get(id).await.unwrap().batch_name(),
        Some(names[1].as_str())
    );
}

#[tokio::test]
async fn wait_reports_the_stats_as_numbers() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let created = client
        .batches()
        .create_inline(MODEL, prompts(&["a", "b", "c", "d"]), BatchOptions::new())
        .await
        .unwrap();
    let name = created.batch_name().unwrap().to_owned();
    let mut seen = Vec::new();
    let done = client
        .batches()
        .wait(&name, WAIT, |batch| {
            seen.push((batch.state(), batch.stats()))
        })
        .await
        .unwrap();
    assert!(!seen.is_empty());
    let (state, last) = seen.last().unwrap();
    assert_eq!(*state, JobState::Succeeded);
    assert_eq!(last.requests, 4);
    assert_eq!(last.done(), 4);
    assert_eq!(done.stats(), *last);
}

#[tokio::test]
async fn a_failed_line_is_that_keys_error_and_the_others_succeed() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let mut requests = prompts(&["good"]);
    requests.push((
        "bad".into(),
        RequestBuilder::image()
            .text("a cat [mock:internal]")
            .build(),
    ));
    for inline in [true, false] {
        let created = if inline {
            client
                .batches()
                .create_inline(MODEL, requests.clone(), BatchOptions::new())
                .await
        } else {
            client
                .batches()
                .create_from_requests(MODEL, requests.clone(), BatchOptions::new())
                .await
        }
        .unwrap();
        let done = finished(&client, &created).await;
        assert_eq!(
            done.state(),
            JobState::Succeeded,
            "per-request failures do not fail the batch"
        );
        assert_eq!(done.stats().failed, 1);
        let results = by_key(client.batches().results(&done).await.unwrap()).await;
        assert_decodable("good", results["good"].as_ref().unwrap());
        let error = results["bad"].as_ref().unwrap_err();
        assert_eq!(error.http_status, 500, "inline {inline}: {error}");
    }
}

#[tokio::test]
async fn an_inline_batch_over_the_limit_is_refused_before_anything_is_sent() {
    let server = MockServer::start().await.unwrap();
    let client = Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .inline_limit(2_000)
        .build()
        .unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.resize(3_000, 0);
    let request = RequestBuilder::image()
        .parts(gemini_image::image_part(png).unwrap())
        .text("make it blue")
        .build();
    let error = client
        .batches()
        .create_inline(MODEL, [("k", request)], BatchOptions::new())
        .await
        .unwrap_err();
    let Error::InlineBatchTooLarge { size, limit } = error else {
        panic!("{error}")
    };
    assert_eq!(limit, 2_000);
    assert!(size > 4_000, "the image counted as base64: {size}");
    assert!(error_message_says_file(&Error::InlineBatchTooLarge {
        size,
        limit
    }));
    assert!(support::statuses(&server).is_empty(), "nothing sent");
}

fn error_message_says_file(error: &Error) -> bool {
    error.to_string().contains("JSONL file")
}

#[tokio::test]
async fn keys_given_twice_are_refused() {
    let server = MockServer::start().await.unwrap();
    let client = client(&server);
    let error = client
        .batches()
        .create_inline(MODEL, prompts(&["same", "same"]), BatchOptions::new())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Config(_)), "{error}");
}

/// A client that asks the mock for `scenario` on every call.
fn with_scenario(server: &MockServer, scenario: &str) -> Client {
    Client::builder()
        .api_key(KEY)
        .base_url(server.uri())
        .header("x-mock-scenario", scenario)
        .build()
        .unwrap()
}

#[tokio::test]
async fn cancel_stops_a_batch_and_its_results_say_so() {
    let server = MockServer::start_with(gemini_image_mock::Config {
        batch_pace: gemini_image_mock::BatchPace::Manual,
        ..gemini_image_mock::Config::default()
    })
    .await
    .unwrap();
    let client = client(&server);
    let created = client
        .batches()
        .create_inline(MODEL, prompts(&["a", "b"]), BatchOptions::new())
        .await
        .unwrap();
    let name = created.batch_name().unwrap().to_owned();
    let pending = client.batches().get(&name).await.unwrap();
    assert!(!pending.is_finished(), "{:?}", pending.state());
    assert_eq!(pending.stats().requests, 2);
    let not_yet = client.batches().results(&pending).await.unwrap_err();
    assert!(matches!(not_yet, Error::BatchNotReady { .. }), "{not_yet}");

    client.batches().cancel(&name).await.unwrap();
    let cancelled = client.batches().wait(&name, WAIT, |_| {}).await.unwrap();
    assert_eq!(cancelled.state(), JobState::Cancelled);
    let error = client.batches().results(&cancelled).await.unwrap_err();
    let Error::BatchFailed { state, .. } = &error else {
        panic!("{error}")
    };
    assert_eq!(*state, JobState::Cancelled);
    assert!(
        error.to_string().contains("BATCH_STATE_CANCELLED"),
        "{error}"
    );
}

#[tokio::test]
async fn a_whole_batch_failure_surfaces_its_own_error() {
    let server = MockServer::start().await.unwrap();
    let client = with_scenario(&server, "batch_failed");
    let created = client
        .batches()
        .create_inline(MODEL, prompts(&["a", "b"]), BatchOptions::new())
        .await
        .unwrap();
    let done = finished(&client, &created).await;
    assert_eq!(done.state(), JobState::Failed);
    let failure = done.failure().expect("the Operation's error");
    assert!(!failure.message.is_empty());
    let error = client.batches().results(&done).await.unwrap_err();
    let Error::BatchFailed {
        state,
        error: Some(api),
        ..
    } = &error
    else {
        panic!("{error}")
    };
    assert_eq!(*state, JobState::Failed);
    assert_eq!(api, &failure);
    assert!(error.to_string().contains(&failure.message), "{error}");
}

#[tokio::test]
async fn results_wait_for_a_results_file_named_after_succeeded() {
    let server = MockServer::start().await.unwrap();
    let plain = client(&server);
    let late = with_scenario(&server, "batch_output_late=2s");
    let input = gemini_image::BatchInput::write(prompts(&["x", "y"]))
        .await
        .unwrap();
    let file = input
        .upload(&plain.files(), gemini_image::UploadOptions::new())
        .await
        .unwrap();
    let created = late
        .batches()
        .create_from_file(MODEL, file.name.as_deref().unwrap(), BatchOptions::new())
        .await
        .unwrap();
    let name = created.batch_name().unwrap().to_owned();
    // SUCCEEDED comes first, the results file later: as Google does.
    let mut succeeded = plain.batches().get(&name).await.unwrap();
    for _ in 0..200 {
        if succeeded.state() == JobState::Succeeded {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        succeeded = plain.batches().get(&name).await.unwrap();
    }
    assert_eq!(succeeded.state(), JobState::Succeeded);
    assert_eq!(succeeded.responses_file(), None, "not named yet");
    let results = by_key(plain.batches().results(&succeeded).await.unwrap()).await;
    assert_eq!(results.len(), 2);
    for (key, answer) in &results {
        assert_decodable(key, answer.as_ref().unwrap());
    }
}

#[tokio::test]
async fn a_share_of_failed_lines_are_their_keys_errors() {
    let server = MockServer::start().await.unwrap();
    let client = with_scenario(&server, "batch_line_errors=50");
    let created = client
        .batches()
        .create_inline(MODEL, prompts(&["a", "b", "c", "d"]), BatchOptions::new())
        .await
        .unwrap();
    let done = finished(&client, &created).await;
    assert_eq!(done.stats().failed, 2);
    let results = by_key(client.batches().results(&done).await.unwrap()).await;
    assert_eq!(results.len(), 4);
    let failed = results.values().filter(|a| a.is_err()).count();
    assert_eq!(failed, 2);
    for (key, answer) in &results {
        if let Ok(response) = answer {
            assert_decodable(key, response);
        }
    }
}
