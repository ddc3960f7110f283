"""Recordings moved between google-genai 3.6.1 and gemini-image-mock. google-genai's own recorder
(its ReplayApiClient in record mode, `DebugConfig(client_mode="record")`) writes a replay file
while it talks to a plain mock; `gemini-image-mock recordings import --from google-genai` turns
it into recordings of ours; a replaying mock must then give google-genai what it got while
recording — an image, a stream, a retired model's 404, a Files upload (the replay file keeps
the upload as one pseudo-interaction) and get. The other way, a directory of ours exported with
`recordings export --to google-genai` must be a ReplayFile as google-genai's own model reads
it. (google-genai's replay mode itself cannot be the reader: it checks each answer against the
Python SDK's model dumps, `sdk_response_segments`, which only the SDK computes.)"""

import json
import re
import subprocess

from google import genai
from google.genai import types
from google.genai._replay_api_client import ReplayFile
from google.genai.client import DebugConfig

from conftest import MOCK, Mock
from test_record_replay import KEY, RETIRED_MODEL, IMAGE_MODEL, error_of, parts_of

REPLAY_ID = "tests/images/record_interchange.mldev"


def calls(c, upload_path):
    seen = {
        "generate": parts_of(c.models.generate_content(
            model=IMAGE_MODEL,
            contents="a paper boat",
            config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
        )),
        "stream": [parts_of(chunk) for chunk in c.models.generate_content_stream(
            model=IMAGE_MODEL,
            contents="a windmill",
            config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
        )],
        "retired": error_of(lambda: c.models.generate_content(model=RETIRED_MODEL, contents="a cat")),
    }
    uploaded = c.files.upload(file=str(upload_path), config={"mime_type": "text/plain"})
    seen["file"] = (uploaded.name, uploaded.size_bytes, uploaded.sha256_hash,
                    c.files.get(name=uploaded.name).sha256_hash)
    return seen


def mock_command(*args):
    done = subprocess.run([MOCK, "recordings", *args], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done


def test_a_replay_file_google_genai_recorded_replays_through_the_mock(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_bytes(b"imported from google-genai\n")
    replays = tmp_path / "replays"

    upstream = Mock()
    recording = genai.Client(
        api_key=KEY,
        http_options=types.HttpOptions(
            base_url=upstream.url, retry_options=types.HttpRetryOptions(attempts=1)
        ),
        debug_config=DebugConfig(
            client_mode="record", replays_directory=str(replays), replay_id=REPLAY_ID
        ),
    )
    try:
        recorded = calls(recording, notes)
        recording.close()  # writes the replay file
    finally:
        upstream.stop()
    replay_file = replays / f"{REPLAY_ID}.json"
    assert KEY not in replay_file.read_text()

    recordings = tmp_path / "recordings"
    imported = mock_command("import", "--from", "google-genai", str(replays), str(recordings))
    assert re.search(r"imported \d+ exchanges, left out 0", imported.stdout), imported.stdout

    replaying = Mock("--replay", str(recordings))
    try:
        c = genai.Client(
            api_key=KEY,
            http_options=types.HttpOptions(
                base_url=replaying.url, retry_options=types.HttpRetryOptions(attempts=1)
            ),
        )
        assert calls(c, notes) == recorded
    finally:
        replaying.stop()

    exported = tmp_path / "exported"
    mock_command("export", "--to", "google-genai", str(recordings), str(exported),
                 "--name", "tests/round/trip.mldev")
    text = (exported / "tests/round/trip.mldev.json").read_text()
    back = ReplayFile.model_validate(json.loads(text))
    assert back.replay_id == "tests/round/trip.mldev"
    urls = [i.request.url for i in back.interactions]
    assert f"{{MLDEV_URL_PREFIX}}/models/{IMAGE_MODEL}:streamGenerateContent?alt=sse" in urls
    assert "" in urls, "the upload's bytes as google-genai's pseudo-interaction"
    assert all(i.request.headers.get("x-goog-api-key") in (None, "{REDACTED}")
               for i in back.interactions)
    assert KEY not in text
