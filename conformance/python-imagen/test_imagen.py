"""Imagen through google-genai 2.19.0, the last release that still sends `:predict` to the
Gemini Developer API. Google shut Imagen down there on 2026-08-17: the mock refuses it as Google
does, and serves it as it was with `--legacy-models`."""

import io

import pytest
from google import genai
from google.genai import errors, types
from PIL import Image


# A client closes its connections when collected: keep each alive for the whole session.
_clients = []


def connect(mock):
    made = genai.Client(
        api_key="conformance-key",
        http_options=types.HttpOptions(base_url=mock.url, api_version="v1beta"),
    )
    _clients.append(made)
    return made


def test_imagen_is_not_found_as_on_google_today(mock):
    with pytest.raises(errors.ClientError) as raised:
        connect(mock).models.generate_images(model="imagen-4.0-generate-001", prompt="a robot")
    assert raised.value.code == 404
    assert raised.value.message == (
        "models/imagen-4.0-generate-001 is not found for API version v1beta, or is not supported "
        "for predict. Call ListModels to see the list of available models and their supported "
        "methods."
    )


def test_generate_images_with_the_legacy_models(legacy_mock):
    legacy_mock.reset()
    response = connect(legacy_mock).models.generate_images(
        model="imagen-4.0-generate-001",
        prompt="a robot tending a rooftop garden",
        config=types.GenerateImagesConfig(number_of_images=2, aspect_ratio="16:9"),
    )
    assert len(response.generated_images) == 2
    for generated in response.generated_images:
        picture = Image.open(io.BytesIO(generated.image.image_bytes))
        width, height = picture.size
        assert width > height
    [sent] = legacy_mock.requests()
    assert sent["path"] == "/v1beta/models/imagen-4.0-generate-001:predict"
    assert sent["body"]["parameters"]["sampleCount"] == 2
