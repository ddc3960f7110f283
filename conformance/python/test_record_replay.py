"""Record once, replay offline, through google-genai 3.6.1 with no change to the SDK: a plain
gemini-image-mock is "Google" (the upstream), a second one records it (`--record DIR --upstream
URL`); both are stopped and a third replays the directory (`--replay DIR`). Every call the SDK
made while recording — an image, a stream, an edit of an image, a retired model's 404, a Files
upload and get, a batch created and polled to its end — must give the SDK exactly what it gave
then; a changed prompt must surface, through the SDK's own error, the miss naming the nearest
recording and what differs; the key must be in no byte of the directory. The admin API lists
the recordings, how often each answered, and the misses."""

import json
import os
import urllib.request

import pytest
from google import genai
from google.genai import errors, types

from conftest import Mock

IMAGE_MODEL = "gemini-3.1-flash-image"
RETIRED_MODEL = "gemini-2.5-flash-image"
# Distinctive enough that finding it in a recording means it leaked.
KEY = "AIzaSy-conformance-record-replay-0123456789"

_clients = []


def client(mock):
    made = genai.Client(
        api_key=KEY,
        http_options=types.HttpOptions(
            base_url=mock.url, retry_options=types.HttpRetryOptions(attempts=1)
        ),
    )
    _clients.append(made)
    return made


def parts_of(response):
    """What a caller reads of an answer: its texts and its images' bytes, in order."""
    out = []
    for candidate in response.candidates or []:
        for part in candidate.content.parts or []:
            if part.text is not None:
                out.append(("text", part.text, bool(part.thought)))
            if part.inline_data is not None:
                out.append(("image", part.inline_data.mime_type, part.inline_data.data))
    return out


def error_of(call):
    with pytest.raises(errors.APIError) as raised:
        call()
    error = raised.value
    return (type(error).__name__, error.code, error.status, error.message)


def session(c, upload_path):
    """The calls a test suite makes, and what the SDK gave back for each."""
    seen = {}
    drawn = c.models.generate_content(
        model=IMAGE_MODEL,
        contents="a red bicycle",
        config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
    )
    seen["generate"] = parts_of(drawn)
    image = next(p for p in seen["generate"] if p[0] == "image")
    seen["stream"] = [
        parts_of(chunk)
        for chunk in c.models.generate_content_stream(
            model=IMAGE_MODEL,
            contents="a lighthouse at dusk",
            config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
        )
    ]
    seen["edit"] = parts_of(
        c.models.generate_content(
            model=IMAGE_MODEL,
            contents=[
                types.Part.from_bytes(data=image[2], mime_type=image[1]),
                "the same bicycle in black and white",
            ],
        )
    )
    seen["retired"] = error_of(
        lambda: c.models.generate_content(model=RETIRED_MODEL, contents="a cat")
    )
    uploaded = c.files.upload(
        file=str(upload_path), config={"mime_type": "text/plain", "display_name": "Notes"}
    )
    got = c.files.get(name=uploaded.name)
    seen["file"] = (uploaded.model_dump(exclude={"sdk_http_response"}),
                    got.model_dump(exclude={"sdk_http_response"}))
    job = c.batches.create(
        model=IMAGE_MODEL,
        src=[{"contents": [{"parts": [{"text": "a kite"}], "role": "user"}],
              "config": {"response_modalities": ["IMAGE"],
                         "image_config": {"image_size": "512"}}}],
    )
    states = [job.state]
    for _ in range(200):
        job = c.batches.get(name=job.name)
        states.append(job.state)
        if job.state == types.JobState.JOB_STATE_SUCCEEDED:
            break
    assert job.state == types.JobState.JOB_STATE_SUCCEEDED, states
    seen["batch"] = (job.name, [parts_of(r.response) for r in job.dest.inlined_responses])
    return seen


def every_file(root):
    for folder, _, names in os.walk(root):
        for name in names:
            yield os.path.join(folder, name)


def admin(mock, path):
    with urllib.request.urlopen(f"{mock.url}/__mock/{path}") as answer:
        return json.loads(answer.read())


def test_google_genai_gets_on_replay_what_it_got_while_recording(tmp_path):
    recordings = tmp_path / "recordings"
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"recorded once, replayed for ever\n")

    upstream = Mock()
    recorder = Mock("--record", str(recordings), "--upstream", upstream.url)
    try:
        recorded = session(client(recorder), notes)
    finally:
        recorder.stop()
        upstream.stop()
    assert any(p[0] == "image" for p in recorded["generate"])
    assert any(p[0] == "image" for chunk in recorded["stream"] for p in chunk)
    assert recorded["retired"][:3] == ("ClientError", 404, "NOT_FOUND")

    for path in every_file(recordings):
        with open(path, "rb") as f:
            kept = f.read()
        assert KEY.encode() not in kept, f"the key leaked into {path}"
        if path.endswith(".json"):
            # Images (the edit's input too, as google-genai spells its JSON) are blobs beside it.
            assert len(kept) < 64 * 1024, f"{path} keeps an image inline"

    replaying = Mock("--replay", str(recordings))
    try:
        c = client(replaying)
        replayed = session(c, notes)
        for call in recorded:
            assert replayed[call] == recorded[call], call

        with pytest.raises(errors.ClientError) as raised:
            c.models.generate_content(
                model=IMAGE_MODEL,
                contents="a blue bicycle",
                config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
            )
        miss = raised.value
        assert miss.code == 400 and miss.status == "FAILED_PRECONDITION"
        assert str(recordings) in miss.message
        assert "generateContent.json" in miss.message, miss.message
        assert 'recorded "a red bicycle", requested "a blue bicycle"' in miss.message

        listing = admin(replaying, "recordings")
        assert listing["dir"] == str(recordings)
        assert listing["mode"] == "replay"
        assert all(r["hits"] >= 1 for r in listing["recordings"]), listing["recordings"]
        [missed] = listing["misses"]
        assert missed["method"] == "POST" and missed["path"].endswith(":generateContent")
        assert missed["nearest"].endswith("generateContent.json")
    finally:
        replaying.stop()
