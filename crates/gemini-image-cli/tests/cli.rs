//! The `gemini` binary driven as a user drives it, against the mock built into it (or a
//! `gemini-image mock` it starts): files written and decodable at the asked size, exit codes, `--json`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use assert_cmd::Command;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;
use serde_json::Value;

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gemini-image-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `gemini` in `dir`, with no key and no base URL in its environment: it can only reach the
/// built-in mock (or the server a test names).
fn gemini(dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_gemini-image"));
    command
        .current_dir(dir)
        .env_remove("GEMINI_API_KEY")
        .env_remove("GOOGLE_API_KEY")
        .env_remove("GOOGLE_GEMINI_BASE_URL")
        .env_remove("GEMINI_IMAGE_MODEL");
    for vertex in [
        "GOOGLE_GENAI_USE_VERTEXAI",
        "GOOGLE_GENAI_USE_ENTERPRISE",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_CLOUD_LOCATION",
        "GOOGLE_VERTEX_BASE_URL",
        "GOOGLE_OAUTH_ACCESS_TOKEN",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "GOOGLE_GENAI_API_VERSION",
    ] {
        command.env_remove(vertex);
    }
    command
}

fn dimensions(path: &Path) -> (u32, u32) {
    image::image_dimensions(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The image at `path` is grey (an edit to black and white was followed).
fn assert_grey(path: &Path) {
    let edited = image::open(path).unwrap().to_rgb8();
    let pixel = edited.get_pixel(0, 0);
    // JPEG rounds: grey is R = G = B within a step or two.
    let spread = pixel.0.iter().max().unwrap() - pixel.0.iter().min().unwrap();
    assert!(spread <= 2, "grayscale: {pixel:?}");
}

fn stdout_json(output: &std::process::Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

#[test]
fn image_without_a_key_uses_the_built_in_mock_and_the_live_default_model() {
    let dir = scratch("image");
    let assert = gemini(&dir)
        .args([
            "image",
            "a 3d rendered pig with wings and a top hat",
            "-o",
            "pig.png",
        ])
        .assert()
        .success();
    let output = assert.get_output();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("built-in offline mock"), "{stderr}");
    // The default is a live model (gemini-3.1-flash-image), which answers JPEG: the file takes
    // the extension of its type, whatever -o said.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("wrote pig.jpg"), "{stdout}");
    assert_eq!(dimensions(&dir.join("pig.jpg")), (1024, 1024));
    let bytes = std::fs::read(dir.join("pig.jpg")).unwrap();
    assert_eq!(
        image::guess_format(&bytes).unwrap(),
        image::ImageFormat::Jpeg
    );
    assert!(!dir.join("pig.png").exists());
}

#[test]
fn image_options_and_json_output() {
    let dir = scratch("image-json");
    let assert = gemini(&dir)
        .args([
            "--json",
            "image",
            "a cat on a windowsill",
            "-m",
            "gemini-3-pro-image",
            "--count",
            "2",
            "--size",
            "2k",
            "--aspect-ratio",
            "16:9",
            "--seed",
            "7",
            "-o",
            "out/cat.png",
        ])
        .assert()
        .success();
    let report = stdout_json(assert.get_output());
    assert_eq!(report["backend"], "mock");
    assert_eq!(report["model"], "gemini-3-pro-image");
    assert_eq!(report["finishReason"], "STOP");
    assert!(report["usage"]["totalTokenCount"].as_i64().unwrap() > 0);
    let images = report["images"].as_array().unwrap();
    assert_eq!(images.len(), 2);
    for (n, image) in images.iter().enumerate() {
        // Gemini 3 answers JPEG: the extension follows the type, not the -o name.
        let path = format!("out/cat-{}.jpg", n + 1);
        assert_eq!(image["path"], path.as_str());
        assert_eq!(image["mimeType"], "image/jpeg");
        assert_eq!(
            (image["width"].as_u64(), image["height"].as_u64()),
            (Some(2752), Some(1536))
        );
        assert_eq!(dimensions(&dir.join(&path)), (2752, 1536));
        let size = std::fs::metadata(dir.join(&path)).unwrap().len();
        assert_eq!(image["bytes"].as_u64(), Some(size));
    }
}

#[test]
fn edit_one_or_several_inputs() {
    let dir = scratch("edit");
    image::RgbImage::from_pixel(64, 48, image::Rgb([200, 30, 30]))
        .save(dir.join("red.png"))
        .unwrap();
    image::RgbImage::from_pixel(64, 48, image::Rgb([30, 30, 200]))
        .save(dir.join("blue.png"))
        .unwrap();
    gemini(&dir)
        .args(["edit", "red.png", "make it black and white"])
        .assert()
        .success();
    assert_grey(&dir.join("red-edited.jpg"));

    let assert = gemini(&dir)
        .args([
            "--json",
            "edit",
            "red.png",
            "blue.png",
            "put them side by side",
            "-o",
            "both",
        ])
        .assert()
        .success();
    let report = stdout_json(assert.get_output());
    assert_eq!(report["images"][0]["path"], "both.jpg");
    assert!(dir.join("both.jpg").exists());
}

#[test]
fn chat_scripted_through_stdin() {
    let dir = scratch("chat");
    image::RgbImage::from_pixel(32, 32, image::Rgb([240, 200, 0]))
        .save(dir.join("basket.png"))
        .unwrap();
    let assert = gemini(&dir)
        .args(["--json", "chat", "-m", "gemini-3-pro-image", "-o", "bike"])
        .write_stdin("draw a red bicycle\nmake it blue\n/attach basket.png\nadd this basket\n/quit\nnot sent\n")
        .assert()
        .success();
    let output = assert.get_output();
    let turns: Vec<Value> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(turns.len(), 3, "one JSON line per turn, none after /quit");
    for (n, turn) in turns.iter().enumerate() {
        let path = format!("bike-{}.jpg", n + 1);
        assert_eq!(turn["images"][0]["path"], path.as_str());
        assert_eq!(dimensions(&dir.join(&path)), (1024, 1024));
    }
    assert!(String::from_utf8_lossy(&output.stderr).contains("attached basket.png"));
    // Each turn edited the one before, so no two pictures are the same.
    let bytes: Vec<Vec<u8>> = (1..=3)
        .map(|n| std::fs::read(dir.join(format!("bike-{n}.jpg"))).unwrap())
        .collect();
    assert!(bytes[0] != bytes[1] && bytes[1] != bytes[2]);
}

#[test]
fn imagen_models_and_tokens() {
    let dir = scratch("others");
    // Imagen is retired: refused as Google refuses it, with what to use instead...
    gemini(&dir)
        .args(["imagen", "a robot gardener"])
        .assert()
        .code(3)
        .stderr(contains("models/imagen-4.0-generate-001 is not found"))
        .stderr(contains(
            "imagen-4.0-generate-001 was shut down by Google on 2026-08-17: use \
             gemini-3.1-flash-image",
        ));
    // ...and served as it was by the built-in mock with the legacy models.
    gemini(&dir)
        .args([
            "--legacy-models",
            "imagen",
            "a robot gardener",
            "--count",
            "2",
            "--aspect-ratio",
            "16:9",
        ])
        .assert()
        .success();
    for n in [1, 2] {
        let (width, height) = dimensions(&dir.join(format!("imagen-{n}.png")));
        assert!(width > height, "16:9: {width}x{height}");
    }

    let table = gemini(&dir).arg("models").assert().success();
    let table = String::from_utf8_lossy(&table.get_output().stdout).into_owned();
    assert!(table.starts_with("MODEL"), "{table}");
    let row = |id: &str| {
        table
            .lines()
            .find(|l| l.starts_with(&format!("{id} ")))
            .unwrap_or_else(|| panic!("no {id} in {table}"))
            .to_string()
    };
    assert!(table.lines().next().unwrap().ends_with("STATUS"), "{table}");
    assert!(
        row("gemini-2.5-flash-image").ends_with("retired 2026-10-02 → gemini-3.1-flash-image"),
        "{table}"
    );
    assert!(row("gemini-3.1-flash-image").ends_with("live"), "{table}");
    let listed = gemini(&dir).args(["--json", "models"]).assert().success();
    let listed = stdout_json(listed.get_output());
    assert!(listed.as_array().unwrap().len() >= 5);

    let counted = gemini(&dir)
        .args(["--json", "tokens", "hello there, how are you today?"])
        .assert()
        .success();
    assert!(
        stdout_json(counted.get_output())["totalTokens"]
            .as_i64()
            .unwrap()
            > 0
    );
    gemini(&dir)
        .args(["tokens", "hello"])
        .assert()
        .success()
        .stdout(contains("tokens"));
}

#[test]
fn exit_codes_tell_usage_api_and_blocked_apart() {
    let dir = scratch("exits");
    // 2: the command line is wrong.
    gemini(&dir)
        .args(["image", "x", "--aspect-ratio", "7:5"])
        .assert()
        .code(2)
        .stderr(contains("use one of 1:1"));
    // 1: a local problem.
    gemini(&dir)
        .args(["edit", "missing.png", "make it blue"])
        .assert()
        .code(1)
        .stderr(contains("missing.png"));
    // 3: the API refused, with what to do.
    gemini(&dir)
        .args(["image", "x", "-m", "gemini-9-ultra"])
        .assert()
        .code(3)
        .stderr(contains("gemini-image models"));
    // 4: an answer without an image says why, and the JSON says so too.
    let blocked = gemini(&dir)
        .args(["--json", "image", "a fox [mock:image_safety]"])
        .assert()
        .code(4);
    let output = blocked.get_output();
    assert!(String::from_utf8_lossy(&output.stderr).contains("IMAGE_SAFETY"));
    let report = stdout_json(output);
    assert_eq!(report["finishReason"], "IMAGE_SAFETY");
    assert!(
        report["blocked"]
            .as_str()
            .unwrap()
            .contains("Unable to show")
    );
    assert_eq!(report["images"], Value::Array(vec![]));
}

#[test]
fn retries_are_announced_and_a_persistent_rate_limit_fails_plainly() {
    let dir = scratch("retries");
    let failed = gemini(&dir)
        .args(["image", "a fox [mock:rate_limit=1s]"])
        .assert()
        .code(3);
    let stderr = String::from_utf8_lossy(&failed.get_output().stderr).into_owned();
    assert_eq!(
        stderr.matches("rate limited, retrying in 1 s").count(),
        3,
        "{stderr}"
    );
    assert!(stderr.contains("429"), "{stderr}");
    assert!(stderr.contains("try again in 1 s"), "{stderr}");
}

/// Stops the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn gemini_image_mock_serves_and_base_url_reaches_it() {
    let dir = scratch("serve");
    let (server, url) = served_mock();

    let assert = gemini(&dir)
        .args(["--json", "--base-url", &url, "image", "a lighthouse"])
        .assert()
        .success();
    let output = assert.get_output();
    assert_eq!(stdout_json(output)["backend"], url.as_str());
    assert!(!String::from_utf8_lossy(&output.stderr).contains("built-in"));
    assert!(dir.join("gemini-image.jpg").exists());

    // --mock wins over a key: a key in the environment is never used when asked not to.
    gemini(&dir)
        .env("GEMINI_API_KEY", "a-real-looking-key")
        .args(["--mock", "tokens", "hi"])
        .assert()
        .success()
        .stderr(contains("--mock"));
    drop(server);
}

/// A `gemini-image mock` on a free port, and its URL.
fn served_mock() -> (Running, String) {
    served_mock_with(&[])
}

/// A `gemini-image mock` on a free port with `env` in its environment, and its URL.
fn served_mock_with(env: &[(&str, &str)]) -> (Running, String) {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_gemini-image"))
        .args(["mock", "--addr", "127.0.0.1:0"])
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Running(child);
    let mut first = String::new();
    BufReader::new(stdout).read_line(&mut first).unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_string();
    (server, url)
}

/// `POST {path}` with `body` to the server at `url`, over a plain socket; the answer whole.
fn post_raw(url: &str, path: &str, content_type: &str, body: &[u8]) -> String {
    use std::io::{Read, Write};
    let address = url.trim_start_matches("http://");
    let mut socket = std::net::TcpStream::connect(address).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: {address}\r\ncontent-type: {content_type}\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).unwrap();
    socket.write_all(body).unwrap();
    let mut answer = String::new();
    socket.read_to_string(&mut answer).unwrap();
    answer
}

/// `POST /__mock/files?name=NAME` with `body`: a generated (downloadable) file in the mock.
fn put_generated_file(url: &str, name: &str, body: &[u8]) {
    let path = format!("/__mock/files?name={name}&mimeType=text/plain");
    let answer = post_raw(url, &path, "text/plain", body);
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
}

#[test]
fn files_upload_list_get_download_delete() {
    let dir = scratch("files");
    let (server, url) = served_mock();
    let input = dir.join("notes.txt");
    let bytes: Vec<u8> = (0..9_000_000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&input, &bytes).unwrap();

    let assert = gemini(&dir)
        .args(["--json", "--base-url", &url, "files", "upload"])
        .arg(&input)
        .args(["--display-name", "my notes", "--mime-type", "text/plain"])
        .assert()
        .success();
    let file = stdout_json(assert.get_output());
    let name = file["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("files/"), "{file}");
    assert_eq!(file["sizeBytes"], "9000000");
    assert_eq!(file["displayName"], "my notes");
    assert_eq!(file["mimeType"], "text/plain");

    let assert = gemini(&dir)
        .args(["--json", "--base-url", &url, "files", "list"])
        .assert()
        .success();
    let listed = stdout_json(assert.get_output());
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["name"], name.as_str());

    gemini(&dir)
        .args(["--base-url", &url, "files", "get", &name])
        .assert()
        .success()
        .stdout(contains("my notes"))
        .stdout(contains("ACTIVE"));

    // Uploaded files cannot be downloaded (as on Google); generated ones can.
    gemini(&dir)
        .args(["--base-url", &url, "files", "download", &name])
        .assert()
        .code(3);
    put_generated_file(&url, "batch-out", b"line one\nline two\n");
    let assert = gemini(&dir)
        .args(["--json", "--base-url", &url, "files", "download"])
        .args(["files/batch-out", "-o", "out.jsonl"])
        .assert()
        .success();
    assert_eq!(stdout_json(assert.get_output())["bytes"], 18);
    assert_eq!(
        std::fs::read(dir.join("out.jsonl")).unwrap(),
        b"line one\nline two\n"
    );

    gemini(&dir)
        .args(["--base-url", &url, "files", "delete", &name])
        .assert()
        .success()
        .stdout(contains(format!("deleted {name}")));
    gemini(&dir)
        .args(["--base-url", &url, "files", "get", &name])
        .assert()
        .code(3)
        .stderr(contains("403"));
    drop(server);
}

#[test]
fn files_upload_with_the_built_in_mock_and_a_missing_file() {
    let dir = scratch("files-builtin");
    std::fs::write(dir.join("hello.txt"), "hello").unwrap();
    gemini(&dir)
        .args(["files", "upload", "hello.txt"])
        .assert()
        .success()
        .stdout(contains("uploaded hello.txt as files/"))
        .stdout(contains("text/plain, 5 bytes, ACTIVE"));
    gemini(&dir)
        .args(["files", "upload", "missing.png"])
        .assert()
        .code(1)
        .stderr(contains("missing.png"));
}

#[test]
fn edit_uploads_inputs_that_would_push_the_request_past_20_mb() {
    let dir = scratch("edit-large");
    // Noise does not compress: a 2600 × 2600 PNG is over 20 MB, 27 MB in base64.
    let mut state = 0x2545_f491_u32;
    let noise = image::RgbImage::from_fn(2600, 2600, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        let [r, g, b, _] = state.to_le_bytes();
        image::Rgb([r, g, b])
    });
    noise.save(dir.join("large.png")).unwrap();
    assert!(std::fs::metadata(dir.join("large.png")).unwrap().len() > 20_000_000);
    let mut small = std::io::Cursor::new(Vec::new());
    image::RgbImage::from_pixel(16, 16, image::Rgb([10, 200, 10]))
        .write_to(&mut small, image::ImageFormat::Png)
        .unwrap();
    std::fs::write(dir.join("small.png"), small.into_inner()).unwrap();

    let assert = gemini(&dir)
        .args(["--json", "edit", "small.png", "large.png", "blend them"])
        .assert()
        .success();
    let output = assert.get_output();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("over 20 MB: uploading large.png through the Files API"),
        "{stderr}"
    );
    assert!(!stderr.contains("uploading small.png"), "{stderr}");
    assert!(stderr.contains("uploaded large.png as files/"), "{stderr}");
    let report = stdout_json(output);
    assert_eq!(report["images"].as_array().unwrap().len(), 1, "{report}");
}

#[test]
fn images_are_written_all_or_none_and_a_failure_names_its_path() {
    let dir = scratch("image-all-or-none");
    // The second image's path is taken by a directory.
    std::fs::create_dir_all(dir.join("out/cat-2.jpg")).unwrap();
    let assert = gemini(&dir)
        .args(["image", "a cat", "--count", "2", "-o", "out/cat.png"])
        .assert()
        .code(1);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("cannot write out/cat-2.jpg"),
        "the failure names its path: {stderr}"
    );
    assert!(
        !dir.join("out/cat-1.jpg").exists(),
        "nothing is left half done"
    );
    let left: Vec<_> = std::fs::read_dir(dir.join("out"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left, ["cat-2.jpg"], "no temporary file is left either");
}

#[test]
fn a_base_url_that_is_not_a_url_and_an_unreachable_server_are_said_plainly() {
    let dir = scratch("base-url");
    gemini(&dir)
        .args(["--base-url", "not a url", "image", "x"])
        .assert()
        .code(1)
        .stderr(contains("\"not a url\" is not an http:// or https:// URL"));
    // Nothing listens on port 1 of loopback: the cause under the top error is printed.
    gemini(&dir)
        .env("GEMINI_API_KEY", "k")
        .args(["--base-url", "http://127.0.0.1:1", "models"])
        .timeout(std::time::Duration::from_secs(120))
        .assert()
        .code(3)
        .stderr(contains("because:").and(contains("refused")));
}

#[test]
fn the_mock_takes_its_keys_from_the_environment_out_of_the_process_list() {
    let dir = scratch("mock-keys");
    let (server, url) = served_mock_with(&[("GEMINI_MOCK_API_KEYS", "first-key,second-key")]);
    for (key, code) in [("second-key", 0), ("other-key", 3)] {
        gemini(&dir)
            .env("GEMINI_API_KEY", key)
            .args(["--base-url", &url, "tokens", "hi"])
            .assert()
            .code(code);
    }
    drop(server);
}

/// `GET PATH` on a served mock: the JSON body.
fn get_json(url: &str, path: &str) -> Value {
    use std::io::{Read, Write};
    let address = url.trim_start_matches("http://");
    let mut socket = std::net::TcpStream::connect(address).unwrap();
    let head = format!("GET {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\n\r\n");
    socket.write_all(head.as_bytes()).unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(!head.to_ascii_lowercase().contains("chunked"), "{head}");
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[test]
fn the_interactions_api_makes_edits_and_chats_keeping_only_the_id() {
    let dir = scratch("interactions");
    let (server, url) = served_mock();
    let base = ["--json", "--base-url", url.as_str()];

    // The same picture size through either API, and the interaction's status as its finish.
    let mut sizes = Vec::new();
    for api in ["generate-content", "interactions"] {
        let output = format!("{api}.jpg");
        let assert = gemini(&dir)
            .args(base)
            .args(["image", "a fox", "--size", "2K", "--aspect-ratio", "16:9"])
            .args(["--api", api, "-o", &output])
            .assert()
            .success();
        let report = stdout_json(assert.get_output());
        sizes.push(dimensions(&dir.join(&output)));
        if api == "interactions" {
            assert_eq!(report["finishReason"], "completed");
            assert!(report["usage"]["total_tokens"].as_u64().unwrap() > 0);
        }
    }
    assert_eq!(sizes[0], sizes[1]);
    assert!(sizes[1].0 > sizes[1].1, "16:9 is wide: {:?}", sizes[1]);
    gemini(&dir)
        .args(base)
        .args(["image", "a fox", "--api", "interactions", "--count", "2"])
        .assert()
        .failure()
        .stderr(contains("--count needs --api generate-content"));

    // An edit follows its instruction.
    image::RgbImage::from_pixel(64, 48, image::Rgb([200, 30, 30]))
        .save(dir.join("red.png"))
        .unwrap();
    gemini(&dir)
        .args(base)
        .args([
            "edit",
            "red.png",
            "make it black and white",
            "--api",
            "interactions",
        ])
        .assert()
        .success();
    assert_grey(&dir.join("red-edited.jpg"));

    // A chat: three turns, each an image; after the first, only the instruction and the
    // previous interaction's id travel (the mock's journal shows the bodies).
    let assert = gemini(&dir)
        .args(base)
        .args([
            "chat",
            "-m",
            "gemini-3-pro-image",
            "-o",
            "bike",
            "--api",
            "interactions",
        ])
        .write_stdin("draw a red bicycle\nmake it blue\nadd a basket\n")
        .assert()
        .success();
    let turns = String::from_utf8_lossy(&assert.get_output().stdout)
        .lines()
        .count();
    assert_eq!(turns, 3);
    for n in 1..=3 {
        assert_eq!(dimensions(&dir.join(format!("bike-{n}.jpg"))), (1024, 1024));
    }
    let journal = get_json(&url, "/__mock/requests?model=gemini-3-pro-image");
    let creates: Vec<&Value> = journal["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["path"].as_str().unwrap().ends_with("/interactions"))
        .collect();
    assert_eq!(creates.len(), 3, "{journal}");
    assert!(creates[0]["body"].get("previous_interaction_id").is_none());
    for later in &creates[1..] {
        let body = &later["body"];
        assert!(body["previous_interaction_id"].is_string(), "{body}");
        assert!(!body.to_string().contains("\"data\""), "{body}");
    }
    drop(server);
}

/// The batch a `batch run` remembers in `dir`, and whether its images are saved.
fn remembered_batch(dir: &Path) -> (String, bool) {
    let state: Value =
        serde_json::from_slice(&std::fs::read(dir.join(".gemini-batch.json")).unwrap()).unwrap();
    (
        state["batch"].as_str().unwrap().to_string(),
        state["saved"].as_bool().unwrap(),
    )
}

#[test]
fn batch_run_saves_a_hundred_images_by_key_and_resumes_after_an_interruption() {
    let dir = scratch("batch-run");
    // Manual pace: the mock answers no line until the test releases them.
    let (server, url) = served_mock_with(&[("GEMINI_MOCK_BATCH_PACE", "manual")]);
    let prompts: String = (1..=100)
        .map(|i| match i {
            7 => "owl\tan owl on a branch\n".to_string(),
            _ => format!("a fox, number {i}\n"),
        })
        .collect();
    std::fs::write(dir.join("prompts.txt"), format!("# catalogue\n{prompts}")).unwrap();
    let run = |deadline: &str| {
        let mut command = gemini(&dir);
        command.args([
            "--base-url",
            &url,
            "batch",
            "run",
            "prompts.txt",
            "-o",
            "out",
        ]);
        command.args(["--size", "512", "--deadline", deadline]);
        command
    };

    // Interrupted: the deadline passes with nothing done; the directory remembers the batch.
    run("2s")
        .assert()
        .code(1)
        .stderr(contains("submitted batches/").and(contains("has not finished after 2s")));
    let (batch, saved) = remembered_batch(&dir.join("out"));
    assert!(!saved);
    let id = batch.trim_start_matches("batches/");

    // The batch goes on without the command; the same command resumes it and pays once.
    let answer = post_raw(
        &url,
        &format!("/__mock/batches/{id}/advance"),
        "application/json",
        b"",
    );
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Time enough for a loaded machine to draw a hundred images.
    let output = run("5m").output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains(&format!("resuming {batch}")), "{stderr}");
    assert!(!stderr.contains("submitted"), "{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 100, "{stdout}");
    assert!(lines.contains(&"002\tout/002.jpg"), "{stdout}");
    assert!(lines.contains(&"owl\tout/owl.jpg"), "{stdout}");
    assert!(
        !lines.iter().any(|l| l.starts_with("008\t")),
        "line 8 is the owl's"
    );
    let out = dir.join("out");
    let images = std::fs::read_dir(&out)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "jpg")
        })
        .count();
    assert_eq!(images, 100);
    assert_eq!(dimensions(&out.join("owl.jpg")), (512, 512));
    assert_eq!(dimensions(&out.join("101.jpg")), (512, 512));
    assert_eq!(remembered_batch(&out), (batch.clone(), true));

    // Once saved, the command says so and submits nothing.
    run("2s")
        .assert()
        .success()
        .stderr(contains("already holds the images of"));
    let listed = gemini(&dir)
        .args(["--base-url", &url, "batch", "list"])
        .output()
        .unwrap();
    let table = String::from_utf8(listed.stdout).unwrap();
    assert_eq!(table.lines().count(), 2, "a header and one batch: {table}");
    assert!(table.contains(&batch) && table.contains("succeeded") && table.contains("100/100"));

    let status = gemini(&dir)
        .args(["--base-url", &url, "--json", "batch", "status", id])
        .output()
        .unwrap();
    let status = stdout_json(&status);
    assert_eq!(status["state"], "BATCH_STATE_SUCCEEDED");
    assert_eq!(
        (status["requests"].as_u64(), status["succeeded"].as_u64()),
        (Some(100), Some(100))
    );
    assert_eq!(status["displayName"], "prompts");

    gemini(&dir)
        .args(["--base-url", &url, "batch", "delete", &batch])
        .assert()
        .success()
        .stdout(contains(format!("deleted {batch}")));
    gemini(&dir)
        .args(["--base-url", &url, "batch", "status", &batch])
        .assert()
        .code(3);
    // A remembered batch the server no longer has says what to do.
    std::fs::write(
        out.join(".gemini-batch.json"),
        serde_json::to_vec(&serde_json::json!({"batch": batch, "fingerprint": "x"})).unwrap(),
    )
    .unwrap();
    run("2s")
        .assert()
        .code(1)
        .stderr(contains("for other prompts or options"));
    drop(server);
}

#[test]
fn a_batch_through_a_file_saves_what_succeeded_and_fails_naming_what_did_not() {
    let dir = scratch("batch-lines");
    std::fs::write(
        dir.join("prompts.txt"),
        "fox\ta red fox\nkite\ta kite [mock:internal]\nfrog\ta green frog\n",
    )
    .unwrap();
    let output = gemini(&dir)
        .args([
            "--json",
            "batch",
            "run",
            "prompts.txt",
            "-o",
            "out",
            "--input",
            "file",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("saved 2 images of 3 requests"), "{stderr}");
    assert!(stderr.contains("1 requests failed"), "{stderr}");
    assert!(stderr.contains("tokens billed at half price"), "{stderr}");
    let results: Vec<Value> = output
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).unwrap())
        .collect();
    let keys: Vec<&str> = results.iter().map(|r| r["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["fox", "kite", "frog"]);
    assert_eq!(results[0]["images"][0], "out/fox.jpg");
    assert!(
        results[1]["error"].as_str().unwrap().contains("500"),
        "{results:?}"
    );
    assert!(dir.join("out/frog.jpg").is_file() && !dir.join("out/kite.jpg").exists());

    // JSONL of whole requests, in Google's batch input shape, each with its own settings.
    let jsonl = [("wide", "16:9"), ("tall", "9:16")]
        .map(|(key, ratio)| {
            serde_json::json!({
                "key": key,
                "request": {
                    "contents": [{"parts": [{"text": format!("a lighthouse, {key}")}]}],
                    "generationConfig": {"imageConfig": {"aspectRatio": ratio, "imageSize": "1K"}},
                },
            })
            .to_string()
        })
        .join("\n");
    std::fs::write(dir.join("requests.jsonl"), jsonl).unwrap();
    gemini(&dir)
        .args(["batch", "run", "requests.jsonl", "-o", "lighthouses"])
        .assert()
        .success()
        .stdout(contains("wide\tlighthouses/wide.jpg"));
    let (wide, tall) = (
        dimensions(&dir.join("lighthouses/wide.jpg")),
        dimensions(&dir.join("lighthouses/tall.jpg")),
    );
    assert!(wide.0 > wide.1 && tall.0 < tall.1, "{wide:?} {tall:?}");
    // Interrupted before saving, with the built-in mock (which ended with its command): the
    // batch is made again, offline and free.
    let state_path = dir.join("lighthouses/.gemini-batch.json");
    let mut state: Value = serde_json::from_slice(&std::fs::read(&state_path).unwrap()).unwrap();
    let first = state["batch"].as_str().unwrap().to_owned();
    state["saved"] = Value::Bool(false);
    std::fs::write(&state_path, state.to_string()).unwrap();
    std::fs::remove_file(dir.join("lighthouses/wide.jpg")).unwrap();
    gemini(&dir)
        .args(["batch", "run", "requests.jsonl", "-o", "lighthouses"])
        .assert()
        .success()
        .stderr(contains(format!("the built-in mock forgot {first}")));
    assert!(dir.join("lighthouses/wide.jpg").is_file());
    let (again, saved) = remembered_batch(&dir.join("lighthouses"));
    assert!(saved && again != first, "{again}");
    gemini(&dir)
        .args(["batch", "submit", "requests.jsonl", "--size", "2K"])
        .assert()
        .code(1)
        .stderr(contains(
            "--aspect-ratio and --size are for a file of prompts",
        ));

    // Bad prompts files are refused before anything is sent, by line.
    std::fs::write(dir.join("twice.txt"), "a\tfox\na\twhale\n").unwrap();
    gemini(&dir)
        .args(["batch", "submit", "twice.txt"])
        .assert()
        .code(1)
        .stderr(contains("twice.txt: line 2: the key \"a\" was used before"));
    gemini(&dir)
        .args(["batch", "submit", "missing.txt"])
        .assert()
        .code(1)
        .stderr(contains("missing.txt"));
}

/// A Google Cloud user's environment for Vertex AI, pointed at a mock.
fn vertex_env(command: &mut Command, url: &str) {
    command
        .env("GOOGLE_GENAI_USE_VERTEXAI", "true")
        .env("GOOGLE_CLOUD_PROJECT", "my-proj")
        .env("GOOGLE_CLOUD_LOCATION", "us-central1")
        .env("GOOGLE_VERTEX_BASE_URL", url);
}

#[test]
fn vertex_ai_from_the_environment_makes_an_image_with_the_token() {
    let dir = scratch("vertex");
    let (server, url) = served_mock_with(&[("GEMINI_MOCK_BEARER_TOKENS", "FAKE-TOKEN")]);
    let mut command = gemini(&dir);
    vertex_env(&mut command, &url);
    command
        .env("GOOGLE_OAUTH_ACCESS_TOKEN", "FAKE-TOKEN")
        .args(["image", "a red bicycle"])
        .assert()
        .success()
        .stderr(contains(
            "Vertex AI (project my-proj, location us-central1)",
        ));
    assert!(dir.join("gemini-image.jpg").exists());
    let journal = get_json(&url, "/__mock/requests");
    let path = journal["requests"][0]["path"].as_str().unwrap_or_default();
    assert!(
        path.starts_with(
            "/v1beta1/projects/my-proj/locations/us-central1/publishers/google/models/"
        ),
        "{journal}"
    );

    // A token the mock does not know: Vertex AI's 401, said plainly, the token never shown.
    let mut command = gemini(&dir);
    vertex_env(&mut command, &url);
    let refused = command
        .env("GOOGLE_OAUTH_ACCESS_TOKEN", "WRONG-TOKEN-9")
        .args(["image", "a blue bicycle"])
        .assert()
        .code(3);
    let stderr = String::from_utf8_lossy(&refused.get_output().stderr).to_string();
    assert!(stderr.contains("401"), "{stderr}");
    assert!(!stderr.contains("WRONG-TOKEN-9"), "{stderr}");
    drop(server);
}

#[test]
fn vertex_ai_without_credentials_says_where_they_are_looked_for() {
    let dir = scratch("vertex-adc");
    let (server, url) = served_mock();
    let mut command = gemini(&dir);
    vertex_env(&mut command, &url);
    command
        .env("GOOGLE_APPLICATION_CREDENTIALS", dir.join("missing.json"))
        .args(["image", "a kite"])
        .assert()
        .failure()
        .stderr(contains("no Application Default Credentials").and(contains("missing.json")));
    let journal = get_json(&url, "/__mock/requests");
    assert!(
        journal["requests"].as_array().is_some_and(Vec::is_empty),
        "{journal}"
    );

    // Vertex AI with neither a project nor a key is refused before anything is sent.
    gemini(&dir)
        .args(["--vertex", "--base-url", &url, "image", "a kite"])
        .assert()
        .code(1)
        .stderr(contains("GOOGLE_CLOUD_PROJECT"));
    drop(server);
}

#[test]
fn vertex_with_the_built_in_mock() {
    let dir = scratch("vertex-mock");
    gemini(&dir)
        .args(["--vertex", "--mock", "image", "a lighthouse"])
        .assert()
        .success()
        .stderr(contains("--mock"));
    assert!(dir.join("gemini-image.jpg").exists());
}

#[test]
fn vertex_ai_with_application_default_credentials_from_a_file() {
    let dir = scratch("vertex-adc-file");
    let (server, url) = served_mock_with(&[("GEMINI_MOCK_BEARER_TOKENS", "adc-token")]);
    // What `gcloud auth application-default login` writes, its token endpoint the mock's.
    let credentials = dir.join("adc.json");
    let file = serde_json::json!({
        "type": "authorized_user",
        "client_id": "mock-client.apps.googleusercontent.com",
        "client_secret": "mock-secret",
        "refresh_token": "mock-refresh-token",
        "quota_project_id": "quota-from-file",
        "token_uri": format!("{url}/__mock/oauth2/token"),
    });
    std::fs::write(&credentials, file.to_string()).unwrap();
    let mut command = gemini(&dir);
    vertex_env(&mut command, &url);
    command
        .env("GOOGLE_APPLICATION_CREDENTIALS", &credentials)
        .args(["image", "a heron"])
        .assert()
        .success();
    assert!(dir.join("gemini-image.jpg").exists());
    let journal = get_json(&url, "/__mock/requests");
    assert_eq!(
        journal["requests"][0]["userProject"], "quota-from-file",
        "{journal}"
    );
    assert_eq!(journal["requests"][0]["status"], 200, "{journal}");
    drop(server);
}

#[test]
fn help_names_the_environment_and_shows_only_the_options_that_mean_something() {
    let dir = scratch("help");
    for command in [
        vec!["--help"],
        vec!["image", "--help"],
        vec!["files", "upload", "--help"],
    ] {
        let assert = gemini(&dir).args(&command).assert().success();
        let help = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
        for named in [
            "GOOGLE_API_KEY",
            "GEMINI_API_KEY",
            "GOOGLE_CLOUD_PROJECT",
            "Where requests go",
        ] {
            assert!(
                help.contains(named),
                "{command:?} --help lacks {named}:\n{help}"
            );
        }
    }
    // The mock's help: its own options, not the backend choice of the other commands.
    let assert = gemini(&dir).args(["mock", "--help"]).assert().success();
    let help = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(help.contains("--addr"), "{help}");
    for global in ["--base-url", "--mock", "--json", "--vertex"] {
        assert!(
            !help.contains(global),
            "mock --help shows {global}:\n{help}"
        );
    }
    // `edit`'s usage reads as its arguments are given.
    gemini(&dir)
        .args(["edit", "--help"])
        .assert()
        .success()
        .stdout(contains(
            "gemini-image edit [OPTIONS] <INPUT>... <INSTRUCTION>",
        ));
}

#[test]
fn completions_and_the_manual_page_are_generated() {
    let dir = scratch("completions");
    for shell in ["bash", "zsh", "fish"] {
        let assert = gemini(&dir).args(["completions", shell]).assert().success();
        let script = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
        for word in ["gemini-image", "edit", "batch", "aspect-ratio"] {
            assert!(script.contains(word), "{shell} completions lack {word}");
        }
    }
    gemini(&dir).args(["completions", "tcsh"]).assert().code(2);
    let assert = gemini(&dir).arg("manpage").assert().success();
    let page = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(page.starts_with(".ie") || page.contains(".TH"), "{page}");
    assert!(
        page.contains("GOOGLE_API_KEY") && page.contains("edit"),
        "{page}"
    );
}

#[test]
fn show_draws_nothing_when_stdout_is_not_a_terminal() {
    let dir = scratch("show-pipe");
    let assert = gemini(&dir)
        .args(["--show", "image", "a fox"])
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("wrote gemini-image."), "{stdout}");
    assert!(
        !stdout.contains('\x1b'),
        "escape sequences into a pipe: {stdout:?}"
    );
    gemini(&dir)
        .args(["--show", "--no-show", "image", "a fox"])
        .assert()
        .code(2);
}

#[test]
fn quiet_says_nothing_on_stderr_but_errors() {
    let dir = scratch("quiet");
    let assert = gemini(&dir)
        .args(["--quiet", "image", "a fox"])
        .assert()
        .success();
    let output = assert.get_output();
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("wrote gemini-image."));
    // An error is still said.
    gemini(&dir)
        .args(["-q", "edit", "missing.png", "make it blue"])
        .assert()
        .code(1)
        .stderr(contains("missing.png"));
}

#[test]
fn an_image_not_of_the_size_asked_is_warned_about() {
    let dir = scratch("size-warning");
    // A mock that answers with a 1K picture whatever was asked, as a model that cannot make 4K.
    let canned = dir.join("canned");
    std::fs::create_dir_all(&canned).unwrap();
    image::RgbImage::new(1024, 1024)
        .save(canned.join("one.png"))
        .unwrap();
    let canned = canned.to_string_lossy().into_owned();
    let (server, url) = served_mock_with(&[("GEMINI_MOCK_IMAGES", &canned)]);
    gemini(&dir)
        .args(["--base-url", &url, "image", "a lighthouse", "--size", "4K"])
        .assert()
        .success()
        .stderr(contains(
            "warning: asked for --size 4K, but the image is 1024x1024 (a 1K size): \
             gemini-3.1-flash-image may not make 4K images",
        ));
    assert_eq!(dimensions(&dir.join("gemini-image.png")), (1024, 1024));
    // Asked what it answers: not a word.
    gemini(&dir)
        .args(["--base-url", &url, "image", "a lighthouse", "--size", "1K"])
        .assert()
        .success()
        .stderr(contains("warning").not());
    drop(server);
    // The built-in mock draws the size asked: no warning either.
    gemini(&dir)
        .args([
            "image",
            "a lighthouse",
            "--size",
            "2K",
            "--aspect-ratio",
            "21:9",
        ])
        .assert()
        .success()
        .stderr(contains("warning").not());
}

#[test]
fn rust_log_turns_on_the_logs_and_logs_to_a_pipe_carry_no_colour_codes() {
    let dir = scratch("rust-log");
    let mut mock = std::process::Command::new(env!("CARGO_BIN_EXE_gemini-image"))
        .args(["mock", "--addr", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut mock_out = BufReader::new(mock.stdout.take().unwrap());
    let mut first = String::new();
    mock_out.read_line(&mut first).unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {first:?}"))
        .to_string();
    let server = Running(mock);
    let logged = gemini(&dir)
        .env("GEMINI_API_KEY", "k")
        .env("RUST_LOG", "debug")
        .args(["--base-url", &url, "tokens", "hi"])
        .assert()
        .success();
    let stderr = String::from_utf8_lossy(&logged.get_output().stderr).into_owned();
    assert!(
        stderr.contains("DEBUG"),
        "RUST_LOG=debug logged nothing: {stderr}"
    );
    assert!(
        !stderr.contains('\u{1b}'),
        "colour codes in a piped log: {stderr}"
    );
    let quiet = gemini(&dir)
        .env("GEMINI_API_KEY", "k")
        .env_remove("RUST_LOG")
        .args(["--base-url", &url, "tokens", "hi"])
        .assert()
        .success();
    assert!(!String::from_utf8_lossy(&quiet.get_output().stderr).contains("DEBUG"));
    // The mock's own log of that request, written to a pipe.
    let mut log = String::new();
    while !log.contains("answered") {
        assert!(
            mock_out.read_line(&mut log).unwrap() > 0 && log.len() < 64 * 1024,
            "the mock logged no answer: {log}"
        );
    }
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in the mock's piped log: {log:?}"
    );
    drop(server);
}
