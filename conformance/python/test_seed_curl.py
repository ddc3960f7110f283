"""The seed page's curl example, run with curl itself: text and a decodable PNG come back."""

import base64
import io
import json
import os
import subprocess

from PIL import Image

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "seed_curl.sh")


def test_the_seed_curl_example(mock):
    output = subprocess.run(["bash", SCRIPT, mock.url], check=True, capture_output=True).stdout
    response = json.loads(output)
    parts = response["candidates"][0]["content"]["parts"]
    assert any("pig" in part.get("text", "") for part in parts)
    [data] = [part["inlineData"]["data"] for part in parts if "inlineData" in part]
    picture = Image.open(io.BytesIO(base64.b64decode(data)))
    assert picture.format == "PNG" and picture.size == (1024, 1024)
    [sent] = mock.requests()
    assert sent["query"] == {"key": "<redacted>"}
