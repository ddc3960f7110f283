"""Our SDK and Google's agree: the same intent, sent once through google-genai and once through
our SDK (driven by the `gemini-image` command, which is built on it), reaches the mock as bodies that
mean the same thing — names compared in one spelling, image data by its decoded bytes (the
mock's journal shows each image as its size and hash)."""

import io
import os
import re
import subprocess

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


def ours(mock, *args, cwd=None):
    env = {k: v for k, v in os.environ.items() if k not in ("GEMINI_API_KEY", "GOOGLE_API_KEY")}
    subprocess.run(
        [os.path.abspath(GEMINI), "--base-url", mock.url, *args],
        check=True, capture_output=True, env=env, cwd=cwd,
    )
    return last_body(mock)


def google(mock):
    return genai.Client(
        api_key="conformance-key",
        http_options=types.HttpOptions(base_url=mock.url, api_version="v1beta"),
    )


def test_generate_with_image_options(mock, tmp_path):
    path, body = ours(
        mock, "image", "a red bicycle", "-m", "gemini-3-pro-image",
        "--aspect-ratio", "16:9", "--size", "2K", "--seed", "7", cwd=tmp_path,
    )
    client = google(mock)
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


def test_edit(mock, tmp_path):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 200)).save(buffer, format="PNG")
    (tmp_path / "in.png").write_bytes(buffer.getvalue())
    path, body = ours(mock, "edit", "in.png", "make it red", cwd=tmp_path)
    client = google(mock)
    client.models.generate_content(
        model="gemini-3.1-flash-image",  # the command's default: a live model
        contents=[types.Part.from_bytes(data=buffer.getvalue(), mime_type="image/png"), "make it red"],
        config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
    )
    assert last_body(mock) == (path, body)


def test_count_tokens(mock, tmp_path):
    path, body = ours(mock, "tokens", "hello there", cwd=tmp_path)
    client = google(mock)
    client.models.count_tokens(model="gemini-3.1-flash-image", contents="hello there")
    assert last_body(mock) == (path, body)
