"""Our SDK and Google's agree: the same intent, sent once through google-genai and once through
our SDK (driven by the `gemini-image` command, which is built on it), reaches the mock as bodies that
mean the same thing — in the Gemini API and in Vertex AI mode (project, location and a token): names compared in one spelling, image data by its decoded bytes (the
mock's journal shows each image as its size and hash). For the Files API: the resumable upload's
start request (headers and metadata) and its chunks (command, offset, size and hash of the bytes),
and an edit whose image is named by a `fileData` part. For the Interactions API: a picture with its
response format and seed, an edit, and a chained turn that names the one before and nothing else of
it (`input` compared as the steps it means: google-genai wraps a content list into a `user_input`
step)."""

import io
import json
import os
import re
import struct
import subprocess
import zlib

import pytest
from google import genai
from google.genai import types
from PIL import Image

GEMINI = os.environ.get("GEMINI_CLI_BIN", "target/debug/gemini-image")


def camel(name):
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def normalized(value):
    if isinstance(value, dict):
        return {camel(k): normalized(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalized(v) for v in value]
    return value


def last_body(mock):
    [sent] = mock.requests()
    mock.admin("DELETE", "requests")
    return sent["path"], normalized(sent["body"])


def run_ours(mock, *args, cwd=None, input=None):
    """The `gemini-image` command against the mock (no key in its environment), `input` on its
    stdin; its stdout."""
    env = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
    return subprocess.run(
        [os.path.abspath(GEMINI), "--base-url", mock.url, *args],
        check=True, capture_output=True, env=env, cwd=cwd, text=True, input=input,
    ).stdout


def ours(mock, *args, cwd=None):
    run_ours(mock, *args, cwd=cwd)
    return last_body(mock)


def google(mock):
    return genai.Client(
        api_key="conformance-key",
        http_options=types.HttpOptions(base_url=mock.url, api_version="v1beta"),
    )


# The Gemini API and Vertex AI: the same intents, each sent through both SDKs in that mode.
BACKENDS = ("gemini", "vertex")
VERTEX = ("--vertex", "--project", "my-proj", "--location", "us-central1")


def google_vertex(mock):
    from google.oauth2.credentials import Credentials

    # Project and location given here, not by the environment: with a base URL that is not
    # Google's, google-genai drops those it read from the environment.
    return genai.Client(
        vertexai=True, project="my-proj", location="us-central1",
        credentials=Credentials(token="FAKE-TOKEN"),
        http_options=types.HttpOptions(base_url=mock.url),
    )


def ours_on(backend, mock, *args, cwd=None):
    """Our command in the backend's mode (Vertex AI with a token in its environment, as a
    Google Cloud user's `gcloud auth print-access-token` would be); the body the mock got."""
    if backend == "gemini":
        return ours(mock, *args, cwd=cwd)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEMINI_", "GOOGLE_"))}
    env["GOOGLE_OAUTH_ACCESS_TOKEN"] = "FAKE-TOKEN"
    subprocess.run(
        [os.path.abspath(GEMINI), "--base-url", mock.url, *VERTEX, *args],
        check=True, capture_output=True, env=env, cwd=cwd, text=True,
    )
    return last_body(mock)


def google_on(backend, mock):
    return google(mock) if backend == "gemini" else google_vertex(mock)


@pytest.mark.parametrize("backend", BACKENDS)
def test_generate_with_image_options(mock, tmp_path, backend):
    path, body = ours_on(
        backend, mock, "image", "a red bicycle", "-m", "gemini-3-pro-image",
        "--aspect-ratio", "16:9", "--size", "2K", "--seed", "7", cwd=tmp_path,
    )
    if backend == "vertex":
        assert path == (
            "/v1beta1/projects/my-proj/locations/us-central1/publishers/google/models/"
            "gemini-3-pro-image:generateContent"
        )
    client = google_on(backend, mock)  # kept: a client collected at once closes its connection
    client.models.generate_content(
        model="gemini-3-pro-image",
        contents="a red bicycle",
        config=types.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"],
            image_config=types.ImageConfig(aspect_ratio="16:9", image_size="2K"),
            seed=7,
        ),
    )
    assert last_body(mock) == (path, body)


@pytest.mark.parametrize("backend", BACKENDS)
def test_edit(mock, tmp_path, backend):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, format="PNG")
    (tmp_path / "in.png").write_bytes(buffer.getvalue())
    path, body = ours_on(backend, mock, "edit", "in.png", "make it red", cwd=tmp_path)
    client = google_on(backend, mock)
    client.models.generate_content(
        model="gemini-3.1-flash-image",  # the command's default: a live model
        contents=[types.Part.from_bytes(data=buffer.getvalue(), mime_type="image/png"), "make it red"],
        config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
    )
    assert last_body(mock) == (path, body)


@pytest.mark.parametrize("backend", BACKENDS)
def test_count_tokens(mock, tmp_path, backend):
    path, body = ours_on(backend, mock, "tokens", "hello there", cwd=tmp_path)
    client = google_on(backend, mock)
    client.models.count_tokens(model="gemini-3.1-flash-image", contents="hello there")
    assert last_body(mock) == (path, body)


# --- the Files API ---------------------------------------------------------------------------

MIB = 1024 * 1024
# The start request's headers that carry the protocol and the file: both SDKs must send these
# alike. (Content-Type, the key, User-Agent and x-goog-api-client are the transports' own.)
START_HEADERS = (
    "x-goog-upload-protocol",
    "x-goog-upload-command",
    "x-goog-upload-header-content-length",
    "x-goog-upload-header-content-type",
    "x-goog-upload-file-name",
)
STREAMED = re.compile(r"<(\d+) bytes, (?:[^,>]+, )?xxh3 ([0-9a-f]{16})>")


def journal(mock):
    sent = mock.requests()
    mock.admin("DELETE", "requests")
    return sent


def chunk_bytes(entry):
    """A chunk's bytes as the journal keeps them: (size, xxh3). The Content-Type inside the
    description is left out on purpose: google-genai labels its binary chunks
    `application/json` (a leftover of its JSON transport; Google ignores it), our SDK
    `application/octet-stream` — the bytes are what must agree."""
    description = entry.get("bodyDescription")
    if description is None:  # no body at all: an empty file's lone `upload, finalize`
        return (0, None)
    size, digest = STREAMED.fullmatch(description).groups()
    return (int(size), digest)


def upload_seen(requests):
    """What an upload put on the wire, in a form both SDKs must agree on."""
    uploads = [r for r in requests if r["path"].startswith("/upload/")]
    [start] = [r for r in uploads if "upload_id" not in r["query"]]
    chunks = [r for r in uploads if "upload_id" in r["query"]]
    assert start["status"] == 200 and all(c["status"] == 200 for c in chunks)
    body = normalized(start["body"])
    # int64 on the wire: google-genai writes `size_bytes` as a JSON number (pydantic's dump of
    # an int), our SDK `sizeBytes` as a string (proto3 JSON's canonical int64, as @google/genai
    # writes it too). Google's parser reads both; compared as the number they mean.
    body["file"]["sizeBytes"] = int(body["file"]["sizeBytes"])
    return {
        "path": start["path"],
        "headers": {name: start["headers"].get(name) for name in START_HEADERS},
        "body": body,
        # google-genai repeats the start's X-Goog-Upload-* headers on every chunk and sends no
        # key on them; our SDK sends only what a chunk means (command, offset) and its key —
        # the upload id in the URL is the chunks' credential for both. So a chunk is compared
        # by its command, its offset and its bytes.
        "chunks": [
            (
                c["headers"].get("x-goog-upload-command"),
                c["headers"].get("x-goog-upload-offset"),
                *chunk_bytes(c),
            )
            for c in chunks
        ],
    }


def test_upload(mock, tmp_path):
    # Over 8 MiB: two chunks, so the chunking (8 MiB, then the rest with `upload, finalize`)
    # is compared too. A MIME type neither would guess from the bytes or the name, so that
    # both must send the one given.
    data = os.urandom(8 * MIB + 4321)
    (tmp_path / "talk.bin").write_bytes(data)
    printed = run_ours(
        mock, "--json", "files", "upload", "talk.bin",
        "--display-name", "The talk", "--mime-type", "video/mp4", cwd=tmp_path,
    )
    ours_seen = upload_seen(journal(mock))
    ours_file = json.loads(printed)
    client = google(mock)  # held: a collected client closes its connections mid-upload
    client.files.upload(
        file=str(tmp_path / "talk.bin"),
        config={"display_name": "The talk", "mime_type": "video/mp4"},
    )
    google_seen = upload_seen(journal(mock))
    assert google_seen == ours_seen
    # And what they agree on is the file: spelled out, so that agreeing on nothing cannot pass.
    assert ours_seen["path"] == "/upload/v1beta/files"
    assert ours_seen["headers"] == {
        "x-goog-upload-protocol": "resumable",
        "x-goog-upload-command": "start",
        "x-goog-upload-header-content-length": str(len(data)),
        "x-goog-upload-header-content-type": "video/mp4",
        "x-goog-upload-file-name": "talk.bin",
    }
    assert ours_seen["body"] == {
        "file": {"displayName": "The talk", "mimeType": "video/mp4", "sizeBytes": len(data)}
    }
    assert [(command, offset, size) for command, offset, size, _ in ours_seen["chunks"]] == [
        ("upload", "0", 8 * MIB),
        ("upload, finalize", str(8 * MIB), 4321),
    ]
    assert ours_file["sizeBytes"] == str(len(data)) and ours_file["displayName"] == "The talk"


def png_over_15_mb():
    """A 64x16 PNG made over 15 MB by a private ancillary chunk (decoders skip it): too big to
    send inline (20 MB of base64 in all), so `gemini-image edit` uploads it first and names it
    in a `fileData` part, and small enough in pixels that the mock edits it at once."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 16), (200, 30, 30)).save(buffer, format="PNG")
    png = buffer.getvalue()
    payload = os.urandom(15_500_000)
    kind = b"prVt"  # lower-case first letter: ancillary; lower-case third: private
    private = struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
    end = png.rindex(b"IEND") - 4
    return png[:end] + private + png[end:]


def generate_seen(requests, uri):
    """The generateContent request, its file named by `<uploaded>` once checked to be `uri`."""
    [sent] = [r for r in requests if r["path"].endswith(":generateContent")]
    body = normalized(sent["body"])
    [file_part] = [p for p in body["contents"][0]["parts"] if "fileData" in p]
    assert file_part["fileData"]["fileUri"] == uri
    file_part["fileData"]["fileUri"] = "<uploaded>"
    return sent["path"], body


def test_edit_from_an_uploaded_file(mock, tmp_path):
    png = png_over_15_mb()
    (tmp_path / "wide.png").write_bytes(png)
    run_ours(mock, "edit", "wide.png", "make it black and white", "-o", "out.png", cwd=tmp_path)
    sent = journal(mock)
    ours_upload = upload_seen(sent)
    # The command uploads without a display name; the file it made is the one it names.
    [ours_file] = mock.admin("GET", "files")["files"]
    ours_generate = generate_seen(sent, ours_file["uri"])

    client = google(mock)
    uploaded = client.files.upload(file=str(tmp_path / "wide.png"))
    client.models.generate_content(
        model="gemini-3.1-flash-image",  # the command's default
        contents=[uploaded, "make it black and white"],
        config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
    )
    sent = journal(mock)
    assert upload_seen(sent) == ours_upload
    assert generate_seen(sent, uploaded.uri) == ours_generate
    assert ours_upload["body"] == {"file": {"mimeType": "image/png", "sizeBytes": len(png)}}
    assert ours_generate == (
        "/v1beta/models/gemini-3.1-flash-image:generateContent",
        {
            "contents": [{
                "parts": [
                    {"fileData": {"fileUri": "<uploaded>", "mimeType": "image/png"}},
                    {"text": "make it black and white"},
                ],
                "role": "user",
            }],
            "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]},
        },
    )


# --- the Interactions API ----------------------------------------------------------------------


def interaction_meaning(body):
    """An Interactions create body as the server reads it: `input` as a list of steps (google-genai
    wraps a content list into one `user_input` step; a string, one content block or a flat list
    are one user turn too). Names stay snake_case: that is the API's only spelling."""
    meant = dict(body)
    given = meant.get("input")
    if isinstance(given, str):
        given = [{"type": "text", "text": given}]
    elif isinstance(given, dict):
        given = [given]
    if isinstance(given, list) and given and all(
        item.get("type") in ("text", "image", "audio", "video", "document") for item in given
    ):
        given = [{"type": "user_input", "content": given}]
    meant["input"] = given
    return meant


def test_interactions_generate_with_image_options(mock, tmp_path):
    run_ours(
        mock, "image", "a red bicycle", "--api", "interactions", "-m", "gemini-3-pro-image",
        "--aspect-ratio", "16:9", "--size", "2K", "--seed", "7", cwd=tmp_path,
    )
    [(path, body)] = interaction_creates(mock)
    client = google(mock)  # held: a collected client closes its connections
    client.interactions.create(
        model="gemini-3-pro-image",
        input="a red bicycle",
        response_format={"type": "image", "aspect_ratio": "16:9", "image_size": "2K"},
        generation_config={"seed": 7},
    )
    assert interaction_creates(mock) == [(path, body)]
    # Spelled out, so that agreeing on nothing cannot pass.
    assert path == "/v1beta/interactions"
    assert body["response_format"] == {"type": "image", "aspect_ratio": "16:9", "image_size": "2K"}
    assert body["generation_config"] == {"seed": 7}


def test_interactions_edit(mock, tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, format="PNG")
    (tmp_path / "in.png").write_bytes(buffer.getvalue())
    run_ours(mock, "edit", "in.png", "make it red", "--api", "interactions", cwd=tmp_path)
    [(path, body)] = interaction_creates(mock)
    client = google(mock)
    client.interactions.create(
        model="gemini-3.1-flash-image",
        input=[
            {"type": "image", "data": tmp_path / "in.png", "mime_type": "image/png"},
            {"type": "text", "text": "make it red"},
        ],
        response_format={"type": "image"},
    )
    assert interaction_creates(mock) == [(path, body)]
    [turn] = body["input"]
    # The journal shows the image as its size and hash: the same bytes from both.
    assert turn["content"][0]["data"].startswith(f"<{len(buffer.getvalue())} bytes")


def interaction_creates(mock):
    """The Interactions create calls the mock received since the last call, as they mean."""
    creates = [r for r in mock.requests() if r["path"].endswith("/interactions")]
    mock.admin("DELETE", "requests")
    return [(r["path"], interaction_meaning(r["body"])) for r in creates]


def test_interactions_chained_turn(mock, tmp_path):
    run_ours(
        mock, "chat", "--api", "interactions", cwd=tmp_path,
        input="draw a red bicycle\nmake it blue\n",
    )
    ours_turns = interaction_creates(mock)
    client = google(mock)
    first = client.interactions.create(model="gemini-3.1-flash-image", input="draw a red bicycle")
    client.interactions.create(
        model="gemini-3.1-flash-image", input="make it blue", previous_interaction_id=first.id
    )
    google_turns = interaction_creates(mock)
    assert google_turns[1][1]["previous_interaction_id"] == first.id
    # Each run chains to its own first turn (ids differ): that the second turn names one, and
    # sends nothing else of the first, is what must agree.
    for turns in (ours_turns, google_turns):
        assert turns[1][1].pop("previous_interaction_id").startswith("v1_")
    assert ours_turns == google_turns
    assert ours_turns[1][1]["input"] == [
        {"type": "user_input", "content": [{"type": "text", "text": "make it blue"}]}
    ]
