"""The Files API through google-genai 3.6.1 against gemini-image-mock: `files.upload` over the
resumable protocol (small, exactly 8 MiB, over 20 MB, empty), get / list / delete, and an edit from
the uploaded image — with no change to the SDK."""

import base64
import hashlib
import io
import os

import pytest
from google import genai
from google.genai import errors, types
from PIL import Image

MIB = 1024 * 1024
IMAGE_MODEL = "gemini-3.1-flash-image"

# A client closes its connections when collected: keep each alive for the whole session.
_clients = []


def client(mock):
    made = genai.Client(
        api_key="conformance-key",
        http_options=types.HttpOptions(
            base_url=mock.url, retry_options=types.HttpRetryOptions(attempts=1)
        ),
    )
    _clients.append(made)
    return made


def google_sha256(data):
    """Google's `sha256Hash`: base64 of the lowercase hex digest, not of the raw 32 bytes."""
    return base64.b64encode(hashlib.sha256(data).hexdigest().encode()).decode()


def upload_requests(mock):
    return [r for r in mock.requests() if r["path"].startswith("/upload/")]


@pytest.mark.parametrize("size", [5, 8 * MIB, 20 * MIB + 123, 0])
def test_upload_sizes(mock, tmp_path, size):
    data = os.urandom(size)
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    uploaded = client(mock).files.upload(
        file=str(path), config={"mime_type": "application/octet-stream", "display_name": "Blob"}
    )
    assert uploaded.name.startswith("files/") and len(uploaded.name) == len("files/") + 12
    assert uploaded.size_bytes == size
    assert uploaded.mime_type == "application/octet-stream"
    assert uploaded.display_name == "Blob"
    assert uploaded.state == types.FileState.ACTIVE
    assert uploaded.source == types.FileSource.UPLOADED
    assert uploaded.sha256_hash == google_sha256(data)
    assert uploaded.uri == f"https://generativelanguage.googleapis.com/v1beta/files/{uploaded.name[6:]}"
    # The SDK's default API version is v1: the start goes to /upload/v1/files, then one request
    # per 8 MiB chunk (one empty `upload, finalize` for an empty file).
    sent = upload_requests(mock)
    assert sent[0]["path"] == "/upload/v1/files"
    chunks = sent[1:]
    assert len(chunks) == max(1, -(-size // (8 * MIB)))
    assert client(mock).files.get(name=uploaded.name).sha256_hash == uploaded.sha256_hash


def test_get_list_delete(mock, tmp_path):
    c = client(mock)
    names = []
    for n in range(3):
        path = tmp_path / f"note-{n}.txt"
        path.write_text(f"note {n}")
        names.append(c.files.upload(file=str(path)).name)
    listed = [f.name for f in c.files.list(config={"page_size": 2})]
    assert sorted(listed) == sorted(names)
    c.files.delete(name=names[0])
    with pytest.raises(errors.ClientError) as raised:
        c.files.get(name=names[0])
    assert raised.value.code == 403
    assert raised.value.status == "PERMISSION_DENIED"
    assert raised.value.message == (
        f"You do not have permission to access the File {names[0][6:]} or it may not exist."
    )
    assert sorted(f.name for f in c.files.list()) == sorted(names[1:])


def test_an_edit_from_an_uploaded_image(mock, tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    path = tmp_path / "red.png"
    path.write_bytes(buffer.getvalue())
    c = client(mock)
    uploaded = c.files.upload(file=str(path))
    assert uploaded.mime_type == "image/png"
    response = c.models.generate_content(
        model=IMAGE_MODEL,
        contents=[uploaded, "make it black and white"],
        config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
    )
    [part] = [p for p in response.candidates[0].content.parts if p.inline_data and not p.thought]
    picture = Image.open(io.BytesIO(part.inline_data.data)).convert("RGB")
    assert picture.size[0] / picture.size[1] == pytest.approx(64 / 48, rel=0.15)
    r, g, b = picture.getpixel((picture.size[0] // 2, picture.size[1] // 2))
    assert abs(r - g) <= 12 and abs(g - b) <= 12  # grey, within JPEG's rounding
    generate = [r for r in mock.requests() if r["path"].endswith(":generateContent")][-1]
    [file_part] = [p for p in generate["body"]["contents"][0]["parts"] if "fileData" in p or "file_data" in p]
    file_data = file_part.get("fileData") or file_part.get("file_data")
    assert (file_data.get("fileUri") or file_data.get("file_uri")) == uploaded.uri


def test_a_deleted_file_in_a_prompt_is_permission_denied(mock, tmp_path):
    path = tmp_path / "gone.png"
    Image.new("RGB", (8, 8), (0, 0, 255)).save(path, format="PNG")
    c = client(mock)
    uploaded = c.files.upload(file=str(path))
    c.files.delete(name=uploaded.name)
    with pytest.raises(errors.ClientError) as raised:
        c.models.generate_content(model=IMAGE_MODEL, contents=[uploaded, "make it blue"])
    assert raised.value.code == 403
    assert "or it may not exist." in raised.value.message
