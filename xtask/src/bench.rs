//! `cargo xtask bench [--readme]`: runs the criterion benches and prints one table — medians,
//! throughput and the ratios the project aims for, each against its references from the same
//! run — with the machine's CPU. `--readme` also writes the table into README.md.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

/// (package, bench target)
const BENCHES: [(&str, &str); 8] = [
    ("gemini-image", "codec"),
    ("gemini-image", "unary_call"),
    ("gemini-image-mock", "mock_serve"),
    ("gemini-image-mock", "mock_vs_nginx"),
    ("gemini-image-mock", "mock_render"),
    ("gemini-image-mock", "batch_engine"),
    ("gemini-image", "files_transfer"),
    ("gemini-image", "batch_results"),
];

/// Every case, in the table's order: (group, function).
const CASES: &[(&str, &str)] = &[
    ("decode_response", "memcpy"),
    ("decode_response", "naive"),
    ("decode_response", "serde_json_typed"),
    ("decode_response", "gemini_image"),
    ("decode_signature", "memcpy"),
    ("decode_signature", "serde_json_typed"),
    ("decode_signature", "gemini_image"),
    ("encode_request", "memcpy"),
    ("encode_request", "naive"),
    ("encode_request", "serde_json_typed"),
    ("encode_request", "gemini_image"),
    ("sse_stream", "memcpy"),
    ("sse_stream", "gemini_image"),
    ("stream_4k", "memcpy"),
    ("stream_4k", "stream_generate_content"),
    ("stream_4k", "interactions"),
    ("unary_4k", "raw_socket"),
    ("unary_4k", "raw_reqwest"),
    ("unary_4k", "gemini_image"),
    ("unary_4k", "gemini_image_stream"),
    ("unary_4k", "gemini_rust"),
    ("unary_1k_png", "raw_socket"),
    ("unary_1k_png", "raw_reqwest"),
    ("unary_1k_png", "gemini_image"),
    ("unary_1k_png", "gemini_rust"),
    ("mock_serve", "image/minimal_axum"),
    ("mock_serve", "image/gemini_image_mock"),
    ("mock_serve", "text/minimal_axum"),
    ("mock_serve", "text/gemini_image_mock"),
    ("mock_render", "jpeg_4k/image_default"),
    ("mock_render", "jpeg_4k/gemini_image_mock"),
    ("mock_render", "png_1024/image_default"),
    ("mock_render", "png_1024/gemini_image_mock"),
    ("batch_engine", "sequential_generate_content"),
    ("batch_engine", "batch_immediate"),
    ("files_upload", "curl"),
    ("files_upload", "curl_upload_file"),
    ("files_upload", "gemini_image"),
    ("files_download", "curl"),
    ("files_download", "gemini_image"),
    ("batch_results", "memcpy"),
    ("batch_results", "serde_json_typed"),
    ("batch_results", "gemini_image"),
];

/// The peak RSS the Files bench measured, in KiB, by key (`upload_sdk_kib` …).
const PEAKS: &str = "target/criterion/files_transfer_rss.json";
/// The bound on each peak: 64 MiB.
const MAX_PEAK_KIB: f64 = 64.0 * 1024.0;
/// What the batch results bench allocated at most while reading its file, and its largest
/// image, in bytes (`peak_bytes`, `largest_image_bytes`).
const BATCH_PEAK: &str = "target/criterion/batch_results_peak.json";
/// The official SDKs' median nanoseconds per call, by group and SDK (`null`: not installed).
const PEERS: &str = "target/criterion/unary_peers.json";
/// The mock's and nginx's requests per second on the same cached small answers, by answer and
/// concurrency (`cases.text.c1.mock` …), or why they were not measured (`skipped`).
const NGINX: &str = "target/criterion/mock_vs_nginx.json";
/// The answers and concurrencies of `NGINX`, in the table's order.
const NGINX_CASES: [(&str, &str); 4] = [
    ("text", "c1"),
    ("text", "c16"),
    ("image", "c1"),
    ("image", "c16"),
];

const README_START: &str = "<!-- bench:start -->";
const README_END: &str = "<!-- bench:end -->";

struct Measured {
    /// Median time per iteration, in nanoseconds.
    median_ns: f64,
    /// Bytes per iteration.
    bytes: f64,
}

impl Measured {
    fn gb_per_s(&self) -> f64 {
        self.bytes / self.median_ns
    }
}

pub fn run(root: &Path, write_readme: bool) -> Result<(), String> {
    for (package, bench) in BENCHES {
        println!("== cargo bench -p {package} --bench {bench}");
        let status = Command::new(env!("CARGO"))
            .args(["bench", "--locked", "-p", package, "--bench", bench])
            .current_dir(root)
            .status()
            .map_err(|e| format!("running cargo: {e}"))?;
        if !status.success() {
            return Err(format!("the {bench} bench failed"));
        }
    }
    let table = table(root)?;
    println!("\n{table}");
    if write_readme {
        let path = root.join("README.md");
        let readme = fs::read_to_string(&path).map_err(|e| format!("reading README.md: {e}"))?;
        let (Some(start), Some(end)) = (readme.find(README_START), readme.find(README_END)) else {
            return Err(format!(
                "README.md has no {README_START} … {README_END} section"
            ));
        };
        let updated = format!(
            "{}{README_START}\n{table}{}",
            &readme[..start],
            &readme[end..]
        );
        fs::write(&path, updated).map_err(|e| format!("writing README.md: {e}"))?;
        println!("README.md updated");
    }
    Ok(())
}

fn read(root: &Path, group: &str, function: &str) -> Result<Measured, String> {
    let dir = root
        .join("target/criterion")
        .join(group)
        .join(function.replace('/', "_"))
        .join("new");
    let json = |name: &str| -> Result<Value, String> {
        let text = fs::read_to_string(dir.join(name))
            .map_err(|e| format!("{}/{name}: {e} (run the benches first)", dir.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}/{name}: {e}", dir.display()))
    };
    let estimates = json("estimates.json")?;
    let benchmark = json("benchmark.json")?;
    let median_ns = estimates["median"]["point_estimate"]
        .as_f64()
        .ok_or("no median in estimates.json")?;
    let bytes = benchmark["throughput"]["Bytes"].as_f64().unwrap_or(0.0);
    Ok(Measured { median_ns, bytes })
}

fn cpu() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn time(ns: f64) -> String {
    if ns >= 1_000_000_000.0 {
        format!("{:.2} s", ns / 1_000_000_000.0)
    } else if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else {
        format!("{:.1} µs", ns / 1000.0)
    }
}

fn table(root: &Path) -> Result<String, String> {
    let get = |group: &str, function: &str| read(root, group, function);
    let mut out = String::new();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    out.push_str(&format!(
        "Measured by `cargo xtask bench` (criterion medians, release build, default target) on \
         {} ({cores} cores).\n\n",
        cpu()
    ));
    out.push_str(
        "| group | case | median | throughput | vs memcpy (or raw socket, minimal server, nginx, image crate, curl, sequential calls) |\n",
    );
    out.push_str("|---|---|---:|---:|---:|\n");
    for (group, function) in CASES {
        let measured = get(group, function)?;
        let reference = match *group {
            "mock_serve" => get(
                group,
                &function.replace("gemini_image_mock", "minimal_axum"),
            )?,
            "mock_render" => get(
                group,
                &function.replace("gemini_image_mock", "image_default"),
            )?,
            "files_upload" | "files_download" => get(group, "curl")?,
            "batch_engine" => get(group, "sequential_generate_content")?,
            "unary_4k" | "unary_1k_png" => get(group, "raw_socket")?,
            _ => get(group, "memcpy")?,
        };
        let ratio = if matches!(
            *group,
            "mock_serve" | "mock_render" | "batch_engine" | "unary_4k" | "unary_1k_png"
        ) {
            format!("{:.2}× the time", measured.median_ns / reference.median_ns)
        } else {
            format!("{:.3}× the speed", reference.median_ns / measured.median_ns)
        };
        // A case of requests, not bytes, has no throughput.
        let throughput = if measured.bytes > 0.0 {
            format!("{:.2} GB/s", measured.gb_per_s())
        } else {
            "—".to_string()
        };
        out.push_str(&format!(
            "| {group} | {function} | {} | {throughput} | {ratio} |\n",
            time(measured.median_ns),
        ));
    }
    let ratio = |a: f64, b: f64| a / b;
    let decode = get("decode_response", "gemini_image")?;
    let checks = [
        (
            "decode_response ≥ 0.20 × memcpy",
            ratio(
                get("decode_response", "memcpy")?.median_ns,
                decode.median_ns,
            ),
            0.20,
        ),
        (
            "decode_response ≥ 5 × naive",
            ratio(get("decode_response", "naive")?.median_ns, decode.median_ns),
            5.0,
        ),
        (
            "encode_request ≥ 0.20 × memcpy",
            ratio(
                get("encode_request", "memcpy")?.median_ns,
                get("encode_request", "gemini_image")?.median_ns,
            ),
            0.20,
        ),
        (
            "decode_signature (a 1 MB thought signature) ≥ 0.20 × memcpy",
            ratio(
                get("decode_signature", "memcpy")?.median_ns,
                get("decode_signature", "gemini_image")?.median_ns,
            ),
            0.20,
        ),
        (
            "sse_stream ≥ 0.9 × decode_response (GB/s)",
            ratio(
                get("sse_stream", "gemini_image")?.gb_per_s(),
                decode.gb_per_s(),
            ),
            0.9,
        ),
        (
            "unary 4K call ≤ 1.1 × raw socket (time; shown as socket ÷ call ≥ 0.91)",
            ratio(
                get("unary_4k", "raw_socket")?.median_ns,
                get("unary_4k", "gemini_image")?.median_ns,
            ),
            1.0 / 1.1,
        ),
        (
            "unary 4K call ≤ 0.85 × raw reqwest `bytes()` (time; shown as reqwest ÷ call ≥ 1.18)",
            ratio(
                get("unary_4k", "raw_reqwest")?.median_ns,
                get("unary_4k", "gemini_image")?.median_ns,
            ),
            1.0 / 0.85,
        ),
        (
            "streamed 4K call ≤ 1.05 × raw socket (time; shown as socket ÷ call ≥ 0.95)",
            ratio(
                get("unary_4k", "raw_socket")?.median_ns,
                get("unary_4k", "gemini_image_stream")?.median_ns,
            ),
            1.0 / 1.05,
        ),
        (
            "unary 1024² PNG call ≤ 1.2 × raw socket (time; shown as socket ÷ call ≥ 0.83)",
            ratio(
                get("unary_1k_png", "raw_socket")?.median_ns,
                get("unary_1k_png", "gemini_image")?.median_ns,
            ),
            1.0 / 1.2,
        ),
        (
            "stream_4k interactions ≤ 1.05 × streamGenerateContent (time; shown as sgc ÷ interactions ≥ 0.95)",
            ratio(
                get("stream_4k", "stream_generate_content")?.median_ns,
                get("stream_4k", "interactions")?.median_ns,
            ),
            1.0 / 1.05,
        ),
        (
            "mock_serve image ≤ 1.2 × minimal axum (time; shown as minimal ÷ mock ≥ 0.83)",
            ratio(
                get("mock_serve", "image/minimal_axum")?.median_ns,
                get("mock_serve", "image/gemini_image_mock")?.median_ns,
            ),
            1.0 / 1.2,
        ),
        (
            "mock_render: a new 4K JPEG < 100 ms (shown as 100 ms ÷ median > 1)",
            ratio(
                100e6,
                get("mock_render", "jpeg_4k/gemini_image_mock")?.median_ns,
            ),
            1.0,
        ),
        (
            "mock_render: a new 1024² PNG < 15 ms (shown as 15 ms ÷ median > 1)",
            ratio(
                15e6,
                get("mock_render", "png_1024/gemini_image_mock")?.median_ns,
            ),
            1.0,
        ),
        (
            "batch_engine: 1,000 lines at pace immediate < 1,000 sequential generateContent (time; shown as sequential ÷ batch > 1)",
            ratio(
                get("batch_engine", "sequential_generate_content")?.median_ns,
                get("batch_engine", "batch_immediate")?.median_ns,
            ),
            1.0,
        ),
        (
            "files_upload of 1 GB ≥ 0.5 × curl --data-binary",
            ratio(
                get("files_upload", "curl")?.median_ns,
                get("files_upload", "gemini_image")?.median_ns,
            ),
            0.5,
        ),
        (
            "files_download of 1 GB ≥ 0.5 × curl",
            ratio(
                get("files_download", "curl")?.median_ns,
                get("files_download", "gemini_image")?.median_ns,
            ),
            0.5,
        ),
        (
            "batch_results of 1 GB of 4K images ≥ 0.5 × memcpy",
            ratio(
                get("batch_results", "memcpy")?.median_ns,
                get("batch_results", "gemini_image")?.median_ns,
            ),
            0.5,
        ),
    ];
    let peers: Value = fs::read_to_string(root.join(PEERS))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    for group in ["unary_4k", "unary_1k_png"] {
        let socket = get(group, "raw_socket")?;
        for sdk in ["google_genai", "google_genai_js"] {
            let cell = match peers[group][sdk].as_f64() {
                Some(ns) => format!(
                    "| {group} | {sdk} (timed by its own script) | {} | — | {:.2}× the time |\n",
                    time(ns),
                    ns / socket.median_ns
                ),
                None => format!("| {group} | {sdk} | not installed | — | — |\n"),
            };
            out.push_str(&cell);
        }
    }
    let nginx_checks = nginx_rows(root, &mut out)?;
    let ours = get("unary_4k", "gemini_image")?.median_ns;
    let mut checks: Vec<(String, f64, f64)> = checks
        .into_iter()
        .map(|(name, measured, target)| (name.to_string(), measured, target))
        .collect();
    checks.push((
        "unary 4K call ≥ 3 × faster than gemini-rust".to_string(),
        ratio(get("unary_4k", "gemini_rust")?.median_ns, ours),
        3.0,
    ));
    for (sdk, name) in [
        ("google_genai", "google-genai (Python)"),
        ("google_genai_js", "@google/genai (Node)"),
    ] {
        match peers["unary_4k"][sdk].as_f64() {
            Some(ns) => checks.push((
                format!("unary 4K call ≥ 10 × faster than {name}"),
                ratio(ns, ours),
                10.0,
            )),
            None => out.push_str(&format!(
                "\n{name} was not installed: its target is not measured.\n"
            )),
        }
    }
    checks.extend(nginx_checks);
    out.push_str("\n| target | measured | met |\n|---|---:|:---:|\n");
    for (name, measured, target) in checks {
        let met = if measured >= target { "yes" } else { "no" };
        out.push_str(&format!("| {name} | {measured:.2} | {met} |\n"));
    }
    let peaks = fs::read_to_string(root.join(PEAKS))
        .map_err(|e| format!("{PEAKS}: {e} (run the benches first)"))?;
    let peaks: Value = serde_json::from_str(&peaks).map_err(|e| format!("{PEAKS}: {e}"))?;
    for (key, name) in [
        (
            "upload_sdk_kib",
            "peak RSS of the SDK's process, uploading 1 GB",
        ),
        (
            "upload_mock_kib",
            "peak RSS of the mock (`--data-dir`), receiving it",
        ),
        (
            "download_sdk_kib",
            "peak RSS of the SDK's process, downloading 1 GB",
        ),
        ("download_mock_kib", "peak RSS of the mock, serving it"),
    ] {
        let kib = peaks[key]
            .as_f64()
            .ok_or_else(|| format!("{PEAKS}: no {key}"))?;
        let met = if kib <= MAX_PEAK_KIB { "yes" } else { "no" };
        out.push_str(&format!(
            "| {name} ≤ 64 MiB | {:.1} MiB | {met} |\n",
            kib / 1024.0
        ));
    }
    let batch = fs::read_to_string(root.join(BATCH_PEAK))
        .map_err(|e| format!("{BATCH_PEAK}: {e} (run the benches first)"))?;
    let batch: Value = serde_json::from_str(&batch).map_err(|e| format!("{BATCH_PEAK}: {e}"))?;
    let number = |key: &str| {
        batch[key]
            .as_f64()
            .ok_or_else(|| format!("{BATCH_PEAK}: no {key}"))
    };
    let (peak, image) = (number("peak_bytes")?, number("largest_image_bytes")?);
    let bound = 2.0 * image + 1024.0 * 1024.0;
    let met = if peak <= bound { "yes" } else { "no" };
    out.push_str(&format!(
        "| memory allocated reading batch results ≤ 2 × the largest image + 1 MiB ({:.1} MiB) | {:.1} MiB | {met} |\n",
        bound / 1048576.0,
        peak / 1048576.0
    ));
    Ok(out)
}

/// The mock beside nginx (the `mock_vs_nginx` bench): a row per answer and concurrency, and
/// the target each must meet. When nginx could not be had, a row says why and there is no
/// target to meet.
fn nginx_rows(root: &Path, out: &mut String) -> Result<Vec<(String, f64, f64)>, String> {
    let text = fs::read_to_string(root.join(NGINX))
        .map_err(|e| format!("{NGINX}: {e} (run the benches first)"))?;
    let measured: Value = serde_json::from_str(&text).map_err(|e| format!("{NGINX}: {e}"))?;
    if let Some(reason) = measured["skipped"].as_str() {
        out.push_str(&format!(
            "| mock_vs_nginx | cached small answers | not measured: {reason} | — | — |\n"
        ));
        return Ok(Vec::new());
    }
    let mut checks = Vec::new();
    for (answer, concurrency) in NGINX_CASES {
        let case = &measured["cases"][answer];
        let rate = |server: &str| {
            case[concurrency][server]
                .as_f64()
                .filter(|r| *r > 0.0)
                .ok_or_else(|| format!("{NGINX}: no {answer}.{concurrency}.{server}"))
        };
        let (mock, nginx) = (rate("mock")?, rate("nginx")?);
        let bytes = case["bytes"].as_u64().unwrap_or(0);
        let case = format!("{answer} ({bytes} B), {}", concurrency.replace('c', "c="));
        out.push_str(&format!(
            "| mock_vs_nginx | {case} | {} | {mock:.0} req/s (nginx {nginx:.0}) | {:.2}× nginx's req/s |\n",
            time(1e9 / mock),
            mock / nginx
        ));
        checks.push((
            format!("mock: cached {case} ≥ 1.0 × nginx req/s on the same bytes"),
            mock / nginx,
            1.0,
        ));
    }
    Ok(checks)
}
