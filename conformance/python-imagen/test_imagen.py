"""Imagen through google-genai 2.19.0, the last release that still sends `:predict` to the
Gemini Developer API (Google shut Imagen down there on 2026-08-17)."""

import io

from google import genai
from google.genai import types
from PIL import Image


def test_generate_images(mock):
    client = genai.Client(
        api_key="conformance-key",
        http_options=types.HttpOptions(base_url=mock.url, api_version="v1beta"),
    )
    response = client.models.generate_images(
        model="imagen-4.0-generate-001",
        prompt="a robot tending a rooftop garden",
        config=types.GenerateImagesConfig(number_of_images=2, aspect_ratio="16:9"),
    )
    assert len(response.generated_images) == 2
    for generated in response.generated_images:
        picture = Image.open(io.BytesIO(generated.image.image_bytes))
        width, height = picture.size
        assert width > height
    [sent] = mock.requests()
    assert sent["path"] == "/v1beta/models/imagen-4.0-generate-001:predict"
    assert sent["body"]["parameters"]["sampleCount"] == 2
