"""Batch mode through google-genai 3.6.1 against gemini-image-mock, with no change to the SDK:
`client.batches.create` from inline requests and from an uploaded JSONL file, `get` until done
(the wire's `BATCH_STATE_*` renamed `JOB_STATE_*` by the SDK), the inline results in
`dest.inlined_responses` and the results file `dest.file_name` through `files.download`, every
image decoded at the asked size and in input order, edits per line, a failed line as that
response's error, the mock's batch scenarios, `list` paged, `cancel`, expiry, `delete`, the
errors, and jobs surviving a restart (a running one going on) — on both `v1` (the SDK's default) and `v1beta`."""

import base64
import io
import json
import os
import time
import urllib.request

import pytest
from google import genai
from google.genai import errors, types
from PIL import Image

from conftest import Mock

IMAGE_MODEL = "gemini-3.1-flash-image"
# Three small images of different shapes (the mock's sizes for `512`): a result in the wrong
# place has the wrong size.
SHAPES = [("1:1", (512, 512)), ("16:9", (688, 384)), ("9:16", (384, 688))]
# A failed line's `error` is a google.rpc.Status: gRPC's canonical code (13 INTERNAL for the
# `internal` scenario), not HTTP's 500 — real failed lines carry `"code": 3` (INVALID_ARGUMENT).
INTERNAL_LINE_CODE = 13
WAITING = {types.JobState.JOB_STATE_PENDING, types.JobState.JOB_STATE_RUNNING}
TERMINAL = {
    types.JobState.JOB_STATE_SUCCEEDED,
    types.JobState.JOB_STATE_FAILED,
    types.JobState.JOB_STATE_CANCELLED,
    types.JobState.JOB_STATE_EXPIRED,
}

# A client closes its connections when collected: keep each alive for the whole session.
_clients = []


def client(mock, api_version=None):
    """google-genai against the mock; `api_version=None` keeps the SDK's default (v1)."""
    options = {"base_url": mock.url, "retry_options": types.HttpRetryOptions(attempts=1)}
    if api_version:
        options["api_version"] = api_version
    made = genai.Client(api_key="conformance-key", http_options=types.HttpOptions(**options))
    _clients.append(made)
    return made


def inline_request(key, prompt, aspect_ratio):
    """One keyed inline request for a small image, as the SDK's `InlinedRequest` dict."""
    return {
        "contents": [{"parts": [{"text": prompt}], "role": "user"}],
        "config": {
            "response_modalities": ["IMAGE"],
            "image_config": {"aspect_ratio": aspect_ratio, "image_size": "512"},
        },
        "metadata": {"key": key},
    }


def one_image(c, prompt, display_name=None):
    """A batch of one small square image (key `k`), created; a directive in `display_name`
    applies to the whole batch."""
    config = {"display_name": display_name} if display_name else None
    return c.batches.create(
        model=IMAGE_MODEL, src=[inline_request("k", prompt, "1:1")], config=config
    )


def file_line(key, prompt, aspect_ratio="1:1"):
    """One line of a JSONL input for a small image, in the docs' own shape: snake
    `generation_config` holding camel fields."""
    return {
        "key": key,
        "request": {
            "contents": [{"parts": [{"text": prompt}]}],
            "generation_config": {
                "responseModalities": ["IMAGE"],
                "imageConfig": {"aspectRatio": aspect_ratio, "imageSize": "512"},
            },
        },
    }


def upload_lines(c, tmp_path, lines):
    """The lines written as a JSONL file and uploaded as the docs do (`mime_type="jsonl"`)."""
    path = tmp_path / "requests.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return c.files.upload(file=str(path), config={"mime_type": "jsonl"})


def results_of(c, job):
    """A finished file batch's results file, downloaded and parsed line by line."""
    return [json.loads(line) for line in c.files.download(file=job.dest.file_name).splitlines()]


def poll(c, name, until, seconds=30):
    """`batches.get` until `until(job)`, for `seconds` at most."""
    deadline = time.monotonic() + seconds
    while True:
        job = c.batches.get(name=name)
        if until(job):
            return job
        assert time.monotonic() < deadline, f"{name} still {job.state} after {seconds} s"
        time.sleep(0.05)


def wait(c, name, seconds=30):
    """`batches.get` until the job is in a terminal state, as a user's loop does."""
    return poll(c, name, lambda job: job.state in TERMINAL, seconds)


def image_of(response):
    """The one image of a GenerateContentResponse, decoded."""
    [part] = [p for p in response.candidates[0].content.parts if p.inline_data and not p.thought]
    image = Image.open(io.BytesIO(part.inline_data.data))
    image.load()  # decodes every byte: a truncated image fails here
    return image


def decoded(raw_response):
    """The one image of a results-file line's raw `response`, decoded."""
    parts = raw_response["candidates"][0]["content"]["parts"]
    [data] = [p["inlineData"]["data"] for p in parts if "inlineData" in p and not p.get("thought")]
    image = Image.open(io.BytesIO(base64.b64decode(data, validate=True)))
    image.load()
    return image


def raw_operation(mock, name):
    """The Operation as the wire has it, for what the SDK does not show."""
    request = urllib.request.Request(f"{mock.url}/v1/{name}", headers={"x-goog-api-key": "k"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read())


def batch_requests(mock):
    """The journaled requests to batch mode's routes (not the Files API's `files/batch-…`)."""
    return [
        r for r in mock.requests()
        if "/batches" in r["path"] or r["path"].endswith(":batchGenerateContent")
    ]


@pytest.mark.parametrize("api_version", [None, "v1beta"])
def test_an_inline_batch_of_images(mock, api_version):
    c = client(mock, api_version)
    keys = [f"picture-{n}" for n in range(len(SHAPES))]
    job = c.batches.create(
        model=IMAGE_MODEL,
        src=[
            inline_request(key, f"a lighthouse, shape {ratio}", ratio)
            for key, (ratio, _) in zip(keys, SHAPES)
        ],
        config={"display_name": "inline images"},
    )
    assert job.name.startswith("batches/")
    assert job.display_name == "inline images"
    assert job.model == f"models/{IMAGE_MODEL}"
    assert job.state in {
        types.JobState.JOB_STATE_PENDING,
        types.JobState.JOB_STATE_RUNNING,
        types.JobState.JOB_STATE_SUCCEEDED,
    }
    done = wait(c, job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    assert done.name == job.name
    assert done.create_time is not None and done.end_time is not None
    responses = done.dest.inlined_responses
    assert [r.metadata["key"] for r in responses] == keys
    for response, (_, size) in zip(responses, SHAPES):
        assert response.error is None
        assert image_of(response.response).size == size
    # What the SDK sent: the keyed requests, on its API version.
    version = api_version or "v1"
    [create] = [r for r in batch_requests(mock) if r["method"] == "POST"]
    assert create["path"] == f"/{version}/models/{IMAGE_MODEL}:batchGenerateContent"
    batch = create["body"]["batch"]
    assert batch["displayName"] == "inline images"
    sent = batch["inputConfig"]["requests"]["requests"]
    assert [r["metadata"]["key"] for r in sent] == keys
    assert sent[1]["request"]["generationConfig"]["imageConfig"]["aspectRatio"] == "16:9"
    gets = [r for r in batch_requests(mock) if r["method"] == "GET"]
    assert gets and all(r["path"] == f"/{version}/{job.name}" for r in gets)


@pytest.mark.parametrize("api_version", [None, "v1beta"])
def test_a_file_batch_of_images(mock, tmp_path, api_version):
    c = client(mock, api_version)
    keys = [f"line-{n}" for n in range(len(SHAPES))]
    uploaded = upload_lines(c, tmp_path, [
        file_line(key, f"a windmill, shape {ratio}", ratio) for key, (ratio, _) in zip(keys, SHAPES)
    ])
    job = c.batches.create(
        model=IMAGE_MODEL, src=uploaded.name, config={"display_name": "file images"}
    )
    done = wait(c, job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    batch_id = job.name.removeprefix("batches/")
    assert done.dest.file_name == f"files/batch-{batch_id}"
    results = c.files.download(file=done.dest.file_name)
    text = results.decode()
    assert text.endswith("\n")
    parsed = [json.loads(line) for line in text.splitlines()]
    assert [line["key"] for line in parsed] == keys
    for raw, line, (_, size) in zip(text.splitlines(), parsed, SHAPES):
        # Compact, `response` first, as Google writes them.
        assert raw.startswith('{"response":{') and ", " not in raw[:40]
        assert list(line) == ["response", "key"]
        # Decoded as Google's docs do it: base64 of each inlineData part.
        assert decoded(line["response"]).size == size
    version = api_version or "v1"
    [create] = [r for r in batch_requests(mock) if r["method"] == "POST"]
    assert create["path"] == f"/{version}/models/{IMAGE_MODEL}:batchGenerateContent"
    assert create["body"]["batch"]["inputConfig"] == {"fileName": uploaded.name}
    [download] = [r for r in mock.requests() if r["path"].endswith(":download")]
    assert download["path"] == f"/{version}/files/batch-{batch_id}:download"


@pytest.mark.parametrize("api_version", [None, "v1beta"])
def test_a_failed_line_is_that_response_s_error(mock, api_version):
    c = client(mock, api_version)
    job = c.batches.create(
        model=IMAGE_MODEL,
        src=[
            inline_request("good-0", "a kite", "1:1"),
            # The mock's directive fails this one line, as the same prompt fails generateContent.
            inline_request("bad", "a kite [mock:internal]", "1:1"),
            inline_request("good-1", "a kite", "16:9"),
        ],
    )
    done = wait(c, job.name)
    # A line failing does not fail the batch.
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    good0, bad, good1 = done.dest.inlined_responses
    assert [r.metadata["key"] for r in (good0, bad, good1)] == ["good-0", "bad", "good-1"]
    assert image_of(good0.response).size == (512, 512)
    assert image_of(good1.response).size == (688, 384)
    assert bad.response is None
    assert bad.error is not None
    assert bad.error.code == INTERNAL_LINE_CODE
    assert bad.error.message


def test_list_pages(mock):
    c = client(mock)
    names = [
        c.batches.create(
            model=IMAGE_MODEL,
            src=[inline_request(f"k{n}", f"a boat {n}", "1:1")],
            config={"display_name": f"batch {n}"},
        ).name
        for n in range(3)
    ]
    listed = list(c.batches.list(config={"page_size": 2}))
    assert sorted(job.name for job in listed) == sorted(names)
    assert {job.display_name for job in listed} == {"batch 0", "batch 1", "batch 2"}
    assert all(job.model == f"models/{IMAGE_MODEL}" for job in listed)
    # Two pages: the SDK followed the mock's page token.
    pages = [r for r in mock.requests() if r["method"] == "GET" and r["path"] == "/v1/batches"]
    assert len(pages) == 2
    assert pages[0]["query"] == {"pageSize": "2"}
    assert pages[1]["query"]["pageSize"] == "2" and pages[1]["query"]["pageToken"]


@pytest.mark.parametrize("api_version", [None, "v1beta"])
def test_delete(mock, api_version):
    c = client(mock, api_version)
    job = one_image(c, "a fox")
    wait(c, job.name)
    c.batches.delete(name=job.name)
    with pytest.raises(errors.ClientError) as raised:
        c.batches.get(name=job.name)
    assert raised.value.code == 404
    assert raised.value.status == "NOT_FOUND"
    assert job.name not in [j.name for j in c.batches.list()]
    [delete] = [r for r in batch_requests(mock) if r["method"] == "DELETE"]
    assert delete["path"] == f"/{api_version or 'v1'}/{job.name}"


@pytest.mark.parametrize("api_version", [None, "v1beta"])
def test_cancel(manual_mock, api_version):
    c = client(manual_mock, api_version)
    job = c.batches.create(
        model=IMAGE_MODEL,
        src=[inline_request(f"k{n}", "a heron", "1:1") for n in range(3)],
        config={"display_name": "to cancel"},
    )
    # The manual pace runs no line until released: the job waits (PENDING, or RUNNING with
    # every line still pending once its task has started).
    assert job.state in WAITING
    assert c.batches.get(name=job.name).state in WAITING
    c.batches.cancel(name=job.name)
    cancelled = c.batches.get(name=job.name)
    assert cancelled.state == types.JobState.JOB_STATE_CANCELLED
    assert cancelled.done
    assert cancelled.dest is None or not cancelled.dest.inlined_responses
    [cancel] = [r for r in batch_requests(manual_mock) if r["path"].endswith(":cancel")]
    assert cancel["method"] == "POST"
    assert cancel["path"] == f"/{api_version or 'v1'}/{job.name}:cancel"
    assert cancel["status"] == 200


def test_a_job_left_pending_48_hours_expires(manual_mock):
    c = client(manual_mock)
    job = one_image(c, "a moth")
    manual_mock.admin("POST", "clock", {"advance": "47h"})
    assert c.batches.get(name=job.name).state in WAITING
    manual_mock.admin("POST", "clock", {"advance": "2h"})
    expired = c.batches.get(name=job.name)
    assert expired.state == types.JobState.JOB_STATE_EXPIRED
    assert expired.done


def test_states_one_line_at_a_time(manual_mock):
    c = client(manual_mock)
    job = c.batches.create(
        model=IMAGE_MODEL,
        src=[inline_request(f"k{n}", "a swan", ratio) for n, (ratio, _) in enumerate(SHAPES)],
    )
    assert job.state in WAITING
    assert not job.done
    manual_mock.admin("POST", f"{job.name}/advance", {"lines": 1})
    # The SDK shows no counts (`batchStats` is not in its BatchJob): read them from the wire.
    deadline = time.monotonic() + 30
    def succeeded():
        return raw_operation(manual_mock, job.name)["metadata"]["batchStats"].get(
            "successfulRequestCount"
        )

    while succeeded() != "1":
        assert time.monotonic() < deadline, "the released line did not finish"
        time.sleep(0.05)
    running = c.batches.get(name=job.name)
    assert running.state == types.JobState.JOB_STATE_RUNNING
    assert not running.done and running.dest is None
    assert raw_operation(manual_mock, job.name)["metadata"]["batchStats"] == {
        "requestCount": "3", "successfulRequestCount": "1", "pendingRequestCount": "2",
    }
    manual_mock.admin("POST", f"{job.name}/advance")
    done = wait(c, job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    sizes = [image_of(r.response).size for r in done.dest.inlined_responses]
    assert sizes == [size for _, size in SHAPES]


def test_the_whole_batch_failing(mock):
    c = client(mock)
    job = one_image(c, "an owl", "doomed [mock:batch_failed]")
    done = wait(c, job.name)
    assert done.state == types.JobState.JOB_STATE_FAILED
    assert done.done
    assert done.dest is None
    # The Operation's top-level `error` is on the wire, but google-genai 3.6.1 reads only
    # `metadata` in Gemini mode (`done.error` stays None, as against Google).


def test_a_share_of_lines_failing_in_a_file_batch(mock, tmp_path):
    c = client(mock)
    keys = [f"row-{n}" for n in range(4)]
    uploaded = upload_lines(c, tmp_path, [file_line(key, "a pebble") for key in keys])
    job = c.batches.create(
        model=IMAGE_MODEL, src=uploaded.name,
        config={"display_name": "half [mock:batch_line_errors=50]"},
    )
    done = wait(c, job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    parsed = results_of(c, done)
    assert [line["key"] for line in parsed] == keys
    # Half the lines, spread evenly: the second and the fourth.
    assert [list(line) for line in parsed] == [
        ["response", "key"], ["error", "key"], ["response", "key"], ["error", "key"],
    ]
    for line in parsed[1::2]:
        assert line["error"]["code"] == INTERNAL_LINE_CODE and line["error"]["message"]
    for line in parsed[0::2]:
        assert decoded(line["response"]).size == (512, 512)


def test_succeeded_before_the_output_is_set(mock):
    """Google shows SUCCEEDED before it sets the output: a client that reads the results at the
    first SUCCEEDED finds none, and must poll on."""
    c = client(mock)
    job = one_image(c, "a tern", "late [mock:batch_output_late=5s]")
    early = wait(c, job.name)
    assert early.state == types.JobState.JOB_STATE_SUCCEEDED
    assert early.dest is None
    mock.admin("POST", "clock", {"advance": "6s"})
    later = c.batches.get(name=job.name)
    assert later.state == types.JobState.JOB_STATE_SUCCEEDED
    [result] = later.dest.inlined_responses
    assert result.metadata == {"key": "k"}
    assert image_of(result.response).size == (512, 512)


def red_png(size=(64, 48)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def is_grey(image):
    r, g, b = image.convert("RGB").getpixel((image.size[0] // 2, image.size[1] // 2))
    return abs(r - g) <= 12 and abs(g - b) <= 12  # within JPEG's rounding


def test_edits_in_a_batch_inline_and_from_an_uploaded_file(mock, tmp_path):
    c = client(mock)
    png = red_png()
    path = tmp_path / "red.png"
    path.write_bytes(png)
    uploaded = c.files.upload(file=str(path))
    config = {"response_modalities": ["IMAGE"]}
    job = c.batches.create(
        model=IMAGE_MODEL,
        src=[
            {
                "contents": [{"role": "user", "parts": [
                    {"inline_data": {"mime_type": "image/png", "data": png}},
                    {"text": "make it black and white"},
                ]}],
                "config": config,
                # Metadata is a map: every entry comes back, not only the key.
                "metadata": {"key": "inline-edit", "sku": "A-1"},
            },
            {
                "contents": [{"role": "user", "parts": [
                    {"file_data": {"file_uri": uploaded.uri, "mime_type": "image/png"}},
                    {"text": "make it black and white"},
                ]}],
                "config": config,
                "metadata": {"key": "file-edit"},
            },
        ],
    )
    done = wait(c, job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    inline, by_file = done.dest.inlined_responses
    assert inline.metadata == {"key": "inline-edit", "sku": "A-1"}
    assert by_file.metadata == {"key": "file-edit"}
    for result in (inline, by_file):
        image = image_of(result.response)
        assert image.size[0] / image.size[1] == pytest.approx(64 / 48, rel=0.15)
        assert is_grey(image)
    # The SDK sent the image as base64 inside the batch, and the file by its URI.
    [create] = [r for r in batch_requests(mock) if r["method"] == "POST"]
    sent = create["body"]["batch"]["inputConfig"]["requests"]["requests"]
    assert "fileData" in sent[1]["request"]["contents"][0]["parts"][0]


def test_the_results_file_is_a_generated_file(mock, tmp_path):
    c = client(mock)
    uploaded = upload_lines(c, tmp_path, [file_line("only", "a shell")])
    done = wait(c, c.batches.create(model=IMAGE_MODEL, src=uploaded.name).name)
    results = c.files.get(name=done.dest.file_name)
    assert results.name == done.dest.file_name
    assert results.source == types.FileSource.GENERATED
    assert results.state == types.FileState.ACTIVE
    # google-genai downloads a File object only when it has a download URI.
    assert results.download_uri
    by_object = c.files.download(file=results)
    assert by_object == c.files.download(file=done.dest.file_name)
    assert results.size_bytes == len(by_object)
    [line] = [json.loads(text) for text in by_object.splitlines()]
    assert line["key"] == "only" and decoded(line["response"]).size == (512, 512)


def test_errors_for_an_unknown_or_finished_batch(mock):
    c = client(mock)
    with pytest.raises(errors.ClientError) as raised:
        c.batches.get(name="batches/nosuchbatch000000000000000000000000")
    assert raised.value.code == 404 and raised.value.status == "NOT_FOUND"
    done = wait(c, one_image(c, "a reed").name)
    # Cancelling a finished batch: the mock's choice (unconfirmed), 400 FAILED_PRECONDITION.
    with pytest.raises(errors.ClientError) as raised:
        c.batches.cancel(name=done.name)
    assert raised.value.code == 400 and raised.value.status == "FAILED_PRECONDITION"
    assert c.batches.get(name=done.name).state == types.JobState.JOB_STATE_SUCCEEDED


def test_a_request_naming_its_model(mock):
    """google-genai's `InlinedRequest.model` becomes `request.model` ("models/…") on the wire, a
    field of Google's GenerateContentRequest: the batch must take it (finding B1)."""
    c = client(mock)
    job = c.batches.create(
        model=IMAGE_MODEL,
        src=[{**inline_request("k", "a crane", "1:1"), "model": IMAGE_MODEL}],
    )
    done = wait(c, job.name)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    [result] = done.dest.inlined_responses
    assert image_of(result.response).size == (512, 512)
    [create] = [r for r in batch_requests(mock) if r["method"] == "POST"]
    request = create["body"]["batch"]["inputConfig"]["requests"]["requests"][0]["request"]
    assert request["model"] == f"models/{IMAGE_MODEL}"


def test_a_hundred_line_file_batch(mock, tmp_path):
    """The size the issue asks of the CLI (whose `batch` command does not exist yet), through
    the SDK: every line back, in order, each image whole."""
    c = client(mock)
    keys = [f"r{n:03}" for n in range(100)]
    uploaded = upload_lines(c, tmp_path, [file_line(key, f"picture {key}") for key in keys])
    done = wait(c, c.batches.create(model=IMAGE_MODEL, src=uploaded.name).name, seconds=120)
    assert done.state == types.JobState.JOB_STATE_SUCCEEDED
    parsed = results_of(c, done)
    assert [line["key"] for line in parsed] == keys
    assert all(decoded(line["response"]).size == (512, 512) for line in parsed)


def test_jobs_survive_a_restart_with_a_data_dir(tmp_path):
    """Finished jobs are kept as they were; a job still running when the mock stops goes on
    after the restart (an inline one after the lines it had answered) and succeeds, as
    Google's batches do whatever restarts on its side."""
    data = tmp_path / "data"
    first = Mock("--data-dir", str(data), "--batch-pace", "manual")
    try:
        c = client(first)
        uploaded = upload_lines(
            c, tmp_path, [file_line("a", "a gull", "16:9"), file_line("b", "a gull", "9:16")]
        )
        by_file = c.batches.create(model=IMAGE_MODEL, src=uploaded.name)
        first.admin("POST", f"{by_file.name}/advance")
        by_file = wait(c, by_file.name)
        inline = c.batches.create(
            model=IMAGE_MODEL, src=[inline_request("k", "a gull", "16:9")],
            config={"display_name": "kept"},
        )
        first.admin("POST", f"{inline.name}/advance")
        inline = wait(c, inline.name)
        results = c.files.download(file=by_file.dest.file_name)
        # Left running: one line of three done when the mock stops.
        running = c.batches.create(
            model=IMAGE_MODEL,
            src=[inline_request(f"r{n}", "a tern", ratio) for n, (ratio, _) in enumerate(SHAPES)],
        )
        first.admin("POST", f"{running.name}/advance", {"lines": 1})
        poll(c, running.name, lambda _: raw_operation(first, running.name)["metadata"][
            "batchStats"].get("successfulRequestCount") == "1")
    finally:
        first.stop()
    second = Mock("--data-dir", str(data))
    try:
        c = client(second)
        again = c.batches.get(name=by_file.name)
        assert again.state == types.JobState.JOB_STATE_SUCCEEDED
        assert again.dest.file_name == by_file.dest.file_name
        assert c.files.download(file=again.dest.file_name) == results
        kept = c.batches.get(name=inline.name)
        assert kept.state == types.JobState.JOB_STATE_SUCCEEDED and kept.display_name == "kept"
        [result] = kept.dest.inlined_responses
        assert result.metadata == {"key": "k"} and image_of(result.response).size == (688, 384)
        resumed = wait(c, running.name)
        assert resumed.state == types.JobState.JOB_STATE_SUCCEEDED and resumed.error is None
        assert [r.metadata for r in resumed.dest.inlined_responses] == [
            {"key": f"r{n}"} for n in range(len(SHAPES))
        ]
        sizes = [image_of(r.response).size for r in resumed.dest.inlined_responses]
        assert sizes == [size for _, size in SHAPES]
        assert {job.name for job in c.batches.list()} == {by_file.name, inline.name, running.name}
    finally:
        second.stop()


def test_an_inline_batch_over_20_mb_is_refused(mock):
    """Inline requests are for batches under 20 MB (a bigger one goes in a file): the SDK's
    create is refused with Google's message, and no job is made."""
    c = client(mock)
    big = os.urandom(16 * 1024 * 1024)  # 21.3 MB as base64
    with pytest.raises(errors.ClientError) as raised:
        c.batches.create(model=IMAGE_MODEL, src=[{
            "contents": [{"role": "user", "parts": [
                {"inline_data": {"mime_type": "image/png", "data": big}}, {"text": "make it blue"},
            ]}],
            "metadata": {"key": "big"},
        }])
    assert raised.value.code == 400 and raised.value.status == "INVALID_ARGUMENT"
    assert raised.value.message == "Request payload size exceeds the limit: 20971520 bytes."
    assert list(c.batches.list()) == []
