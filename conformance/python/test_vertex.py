"""Google's own Python SDK (google-genai 3.x) in Vertex AI mode against gemini-image-mock (the
session's mock accepts only the bearer token FAKE-TOKEN, see conftest.py): the project routes, the bearer token and quota project its
credentials send, the express mode's key, and Vertex's own fields and answers."""

import io
import os

import google.oauth2.credentials
import pytest
from google import genai
from google.genai import errors, types
from PIL import Image
from test_google_genai import edit_an_input_image, generate_at_the_asked_size

IMAGE_MODEL = "gemini-3.1-flash-image"
PROJECT_PATH = "/v1beta1/projects/my-proj/locations/us-central1/publishers/google/models"
EXPRESS_PATH = "/v1beta1/publishers/google/models"

# A client closes its connections when collected: keep each alive for the whole session.
_clients = []


@pytest.fixture(autouse=True)
def no_google_environment(monkeypatch):
    """The SDK reads project, location, keys and base URLs from the environment: none of the
    machine's may leak into these tests."""
    for name in list(os.environ):
        if name.startswith(("GOOGLE_", "GEMINI_")) and name != "GEMINI_MOCK_BIN":
            monkeypatch.delenv(name)


def options(mock):
    # No retries: errors must reach the test as they are.
    return types.HttpOptions(base_url=mock.url, retry_options=types.HttpRetryOptions(attempts=1))


def vertex(mock, token="FAKE-TOKEN"):
    # Project and location explicit: from the environment only, with a custom base URL, the
    # SDK would drop the project prefix from the path.
    credentials = google.oauth2.credentials.Credentials(token=token, quota_project_id="quota-proj")
    made = genai.Client(
        vertexai=True,
        project="my-proj",
        location="us-central1",
        credentials=credentials,
        http_options=options(mock),
    )
    _clients.append(made)
    return made


def express(mock):
    made = genai.Client(vertexai=True, api_key="express-key", http_options=options(mock))
    _clients.append(made)
    return made


def images(response):
    return [
        Image.open(io.BytesIO(part.inline_data.data))
        for candidate in response.candidates
        for part in (candidate.content.parts or [])
        if part.inline_data is not None and not part.thought
    ]


def test_generate_an_image_with_the_bearer_token_and_quota_project(mock):
    response = generate_at_the_asked_size(vertex(mock))
    # Vertex's envelope, read by the SDK's Vertex converter.
    assert response.create_time is not None
    assert response.usage_metadata.traffic_type == types.TrafficType.ON_DEMAND
    [sent] = mock.requests()
    assert sent["path"] == f"{PROJECT_PATH}/{IMAGE_MODEL}:generateContent"
    assert sent["backend"] == {"api": "vertex", "project": "my-proj", "location": "us-central1"}
    assert sent["userProject"] == "quota-proj"
    assert sent["headers"]["authorization"] == "<redacted>"
    assert "FAKE-TOKEN" not in str(mock.requests())


def test_another_token_is_refused_as_vertex_refuses_it(mock):
    with pytest.raises(errors.ClientError) as refused:
        vertex(mock, token="someone-elses").models.generate_content(
            model=IMAGE_MODEL, contents="x"
        )
    assert refused.value.code == 401
    assert refused.value.status == "UNAUTHENTICATED"


def test_edit_an_input_image(mock):
    edit_an_input_image(vertex(mock))
    [sent] = mock.requests()
    assert sent["path"].startswith(PROJECT_PATH)


def test_stream_ends_with_vertexs_empty_text_chunk(mock):
    chunks = list(
        vertex(mock).models.generate_content_stream(
            model=IMAGE_MODEL,
            contents="a kite over the sea",
            config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
        )
    )
    pictures = [picture for chunk in chunks for picture in images(chunk)]
    assert len(pictures) == 1
    assert len({chunk.create_time for chunk in chunks}) == 1
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert chunks[-1].candidates[0].content.parts[0].text == ""
    [sent] = mock.requests()
    assert sent["path"] == f"{PROJECT_PATH}/{IMAGE_MODEL}:streamGenerateContent"
    assert sent["query"] == {"alt": "sse"}


def test_count_tokens(mock):
    response = vertex(mock).models.count_tokens(
        model=IMAGE_MODEL, contents="how many tokens is this"
    )
    assert response.total_tokens > 0
    [sent] = mock.requests()
    assert sent["path"] == f"{PROJECT_PATH}/{IMAGE_MODEL}:countTokens"


def test_models_get_reads_the_publisher_model(mock):
    model = vertex(mock).models.get(model=IMAGE_MODEL)
    assert model.name == f"publishers/google/models/{IMAGE_MODEL}"
    assert model.version == "default"
    [sent] = mock.requests()
    # models.get has no project prefix, and still the bearer token.
    assert sent["method"] == "GET"
    assert sent["path"] == f"{EXPRESS_PATH}/{IMAGE_MODEL}"
    assert sent["userProject"] == "quota-proj"


def test_a_retired_model_gets_vertexs_404(mock):
    with pytest.raises(errors.ClientError) as missing:
        vertex(mock).models.generate_content(model="gemini-2.5-flash-image", contents="x")
    assert missing.value.code == 404
    assert missing.value.message.startswith(
        "Publisher Model `projects/my-proj/locations/us-central1/publishers/google/models/"
        "gemini-2.5-flash-image` was not found"
    )


def test_vertex_only_image_settings_arrive_on_the_wire(mock):
    response = vertex(mock).models.generate_content(
        model=IMAGE_MODEL,
        contents="a portrait of a lighthouse keeper",
        config=types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(
                person_generation="ALLOW_ADULT", output_mime_type="image/png"
            ),
        ),
    )
    [picture] = images(response)
    assert picture.format == "PNG"  # the model draws JPEG unless asked
    [sent] = mock.requests()
    config = sent["body"]["generationConfig"]["imageConfig"]
    assert config["personGeneration"] == "ALLOW_ADULT"
    assert config["imageOutputOptions"] == {"mimeType": "image/png"}


def test_express_mode_sends_the_key_to_the_unprefixed_path(mock):
    response = express(mock).models.generate_content(
        model=IMAGE_MODEL,
        contents="a paper boat",
        config=types.GenerateContentConfig(response_modalities=["IMAGE"]),
    )
    assert len(images(response)) == 1
    [sent] = mock.requests()
    assert sent["path"] == f"{EXPRESS_PATH}/{IMAGE_MODEL}:generateContent"
    assert sent["backend"] == {"api": "vertex-express"}
    assert sent["headers"]["x-goog-api-key"] == "<redacted>"
    assert "authorization" not in sent["headers"]
