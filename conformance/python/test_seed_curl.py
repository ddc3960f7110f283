"""The seed page's curl example, run with curl itself: text and a decodable PNG come back from a
mock serving the legacy models; a mock as Google is today refuses its shut-down model."""

import base64
import io
import json
import os
import subprocess

from PIL import Image

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "seed_curl.sh")


def test_the_seed_curl_example_with_the_legacy_models(legacy_mock):
    # Its model, gemini-2.0-flash-exp-image-generation, is shut down: --legacy-models serves it.
    legacy_mock.reset()
    mock = legacy_mock
    output = subprocess.run(["bash", SCRIPT, mock.url], check=True, capture_output=True).stdout
    response = json.loads(output)
    parts = response["candidates"][0]["content"]["parts"]
    assert any("pig" in part.get("text", "") for part in parts)
    [data] = [part["inlineData"]["data"] for part in parts if "inlineData" in part]
    picture = Image.open(io.BytesIO(base64.b64decode(data)))
    assert picture.format == "PNG" and picture.size == (1024, 1024)
    [sent] = mock.requests()
    assert sent["query"] == {"key": "<redacted>"}


def test_the_seed_curl_example_is_refused_as_google_refuses_it_today(mock):
    run = subprocess.run(["bash", SCRIPT, mock.url], capture_output=True)
    assert run.returncode != 0
    error = json.loads(run.stdout)["error"]
    assert error["code"] == 404 and error["status"] == "NOT_FOUND"
    assert error["message"].startswith(
        "models/gemini-2.0-flash-exp-image-generation is not found for API version v1beta"
    )
