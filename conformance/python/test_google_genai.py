"""Google's own Python SDK (google-genai 3.x) against gemini-image-mock: it must not tell the difference."""

import base64
import io

import pytest
from google import genai
from google.genai import errors, types
from PIL import Image

IMAGE_MODEL = "gemini-3.1-flash-image"
TEXT_MODEL = "gemini-3.5-flash"

# A client closes its connections when collected: keep each alive for the whole session.
_clients = []


def client(mock, api_version="v1beta", key="conformance-key"):
    options = {"base_url": mock.url}
    if api_version:
        options["api_version"] = api_version
    # No retries: the scenarios must reach the test as the errors they are.
    options["retry_options"] = types.HttpRetryOptions(attempts=1)
    made = genai.Client(api_key=key, http_options=types.HttpOptions(**options))
    _clients.append(made)
    return made


def images(response):
    return [
        Image.open(io.BytesIO(part.inline_data.data))
        for part in response.candidates[0].content.parts
        if part.inline_data is not None and not part.thought
    ]


def generate_at_the_asked_size(made):
    """Asks `made` for text and a 16:9 image; checks both came, the image at its size."""
    response = made.models.generate_content(
        model=IMAGE_MODEL,
        contents="a red bicycle leaning on a wall",
        config=types.GenerateContentConfig(
            response_modalities=["TEXT", "IMAGE"],
            image_config=types.ImageConfig(aspect_ratio="16:9"),
        ),
    )
    [picture] = images(response)
    assert picture.format == "JPEG"
    assert picture.size == (1376, 768)
    assert "red bicycle" in response.text
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.usage_metadata.total_token_count > 1000
    return response


@pytest.mark.parametrize("api_version", ["v1beta", None])
def test_generate_text_and_image_at_the_asked_size(mock, api_version):
    generate_at_the_asked_size(client(mock, api_version))
    [sent] = mock.requests()
    # Without an api_version the SDK calls v1, which the mock serves too.
    assert sent["path"] == f"/{api_version or 'v1'}/models/{IMAGE_MODEL}:generateContent"


def edit_an_input_image(made):
    """Asks `made` to make a red picture black and white; checks that it came back grey."""
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    response = made.models.generate_content(
        model=IMAGE_MODEL,
        contents=[
            types.Part.from_bytes(data=buffer.getvalue(), mime_type="image/png"),
            "make it black and white",
        ],
        config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
    )
    [picture] = images(response)
    r, g, b = picture.convert("RGB").getpixel((0, 0))
    assert abs(r - g) <= 12 and abs(g - b) <= 12  # grey, within JPEG's rounding


def test_edit_an_input_image(mock):
    edit_an_input_image(client(mock))
    # The SDK sends snake_case inline_data keys and URL-safe base64: the mock read them.
    [sent] = mock.requests()
    part = sent["body"]["contents"][0]["parts"][0]
    assert "inline_data" in part or "inlineData" in part


def test_multi_turn_chat_edit_sends_signatures_back(mock):
    chat = client(mock).chats.create(
        model="gemini-3-pro-image",
        config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
    )
    first = chat.send_message("draw a red bicycle")
    second = chat.send_message("make it blue")
    assert len(images(first)) == 1 and len(images(second)) == 1
    sent = mock.requests()
    assert len(sent) == 2
    history = sent[1]["body"]["contents"]
    assert [turn["role"] for turn in history] == ["user", "model", "user"]
    signatures = [
        part.get("thought_signature") or part.get("thoughtSignature")
        for part in history[1]["parts"]
    ]
    expected = [
        base64.b64encode(part.thought_signature).decode() if part.thought_signature else None
        for part in first.candidates[0].content.parts
    ]
    normalize = lambda s: None if s is None else base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    assert [normalize(s) for s in signatures if s] == [normalize(e) for e in expected if e]
    assert any(expected)


def test_stream(mock):
    chunks = list(
        client(mock).models.generate_content_stream(
            model=IMAGE_MODEL,
            contents="a fox in the snow",
            config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
        )
    )
    assert len(chunks) >= 2
    pictures = [p for c in chunks for p in images(c)]
    assert len(pictures) == 1 and pictures[0].size == (1024, 1024)
    assert chunks[-1].candidates[0].finish_reason == types.FinishReason.STOP
    assert len({c.response_id for c in chunks}) == 1


@pytest.mark.parametrize(
    "model, ratio, size, expected",
    [
        ("gemini-3.1-flash-image", "8:1", "512", (1536, 192)),
        ("gemini-3.1-flash-image", "1:4", "2K", (1024, 4096)),
        ("gemini-3-pro-image", "21:9", "4K", (6336, 2688)),
    ],
)
def test_the_new_ratios_and_sizes(mock, model, ratio, size, expected):
    response = client(mock).models.generate_content(
        model=model,
        contents="a long banner of a city skyline",
        config=types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(aspect_ratio=ratio, image_size=size),
        ),
    )
    [picture] = images(response)
    assert picture.size == expected


def test_a_ratio_the_model_does_not_take_is_refused_with_google_s_text(mock):
    with pytest.raises(errors.ClientError) as raised:
        client(mock).models.generate_content(
            model=IMAGE_MODEL,
            contents="a cat",
            config=types.GenerateContentConfig(image_config=types.ImageConfig(aspect_ratio="7:3")),
        )
    assert raised.value.code == 400
    assert raised.value.status == "INVALID_ARGUMENT"
    assert raised.value.message == (
        "* GenerateContentRequest.generation_config.image_config.aspect_ratio: aspect_ratio must be "
        "one of '1:1', '1:4', '1:8', '2:3', '3:2', '3:4', '4:1', '4:3', '4:5', '5:4', '8:1', "
        "'9:16', '16:9', or '21:9'.\n"
    )


RETIRED = ["gemini-2.5-flash-image", "gemini-3-pro-image-preview", "gemini-2.0-flash-exp-image-generation"]


@pytest.mark.parametrize("model", RETIRED)
def test_a_retired_model_is_refused_as_google_refuses_it(mock, model):
    with pytest.raises(errors.ClientError) as raised:
        client(mock).models.generate_content(model=model, contents="a cat")
    assert raised.value.code == 404
    assert raised.value.status == "NOT_FOUND"
    assert raised.value.message == (
        f"models/{model} is not found for API version v1beta, or is not supported for "
        "generateContent. Call ListModels to see the list of available models and their "
        "supported methods."
    )
    with pytest.raises(errors.ClientError) as raised:
        client(mock).models.get(model=model)
    assert raised.value.code == 404


def test_a_retired_model_is_served_with_the_legacy_option(legacy_mock):
    response = client(legacy_mock).models.generate_content(
        model="gemini-2.5-flash-image",
        contents="a red bicycle",
        config=types.GenerateContentConfig(image_config=types.ImageConfig(aspect_ratio="16:9")),
    )
    [picture] = images(response)
    assert picture.format == "PNG" and picture.size == (1344, 768)
    names = [m.name for m in client(legacy_mock).models.list(config={"page_size": 100})]
    assert "models/imagen-4.0-generate-001" in names


def test_count_tokens_and_models(mock):
    c = client(mock)
    counted = c.models.count_tokens(model=TEXT_MODEL, contents="hello there")
    assert counted.total_tokens > 0
    names = [m.name for m in c.models.list(config={"page_size": 3})]
    for live in ["gemini-3.1-flash-image", "gemini-3-pro-image", "gemini-3.1-flash-lite-image"]:
        assert f"models/{live}" in names
    for retired in RETIRED + ["imagen-4.0-generate-001"]:
        assert f"models/{retired}" not in names
    assert len(names) > 3
    model = c.models.get(model=IMAGE_MODEL)
    assert model.name == f"models/{IMAGE_MODEL}"
    assert model.input_token_limit > 0


def test_wrong_key_is_api_key_invalid(keyed_mock):
    with pytest.raises(errors.ClientError) as raised:
        client(keyed_mock, key="not-the-key").models.generate_content(
            model=IMAGE_MODEL, contents="x"
        )
    assert raised.value.code == 400
    assert "API_KEY_INVALID" in str(raised.value.details)


def test_rate_limit_carries_retry_info(mock):
    mock.enqueue("rate_limit=3s")
    with pytest.raises(errors.ClientError) as raised:
        client(mock).models.generate_content(model=IMAGE_MODEL, contents="x")
    assert raised.value.code == 429
    details = raised.value.details["error"]["details"]
    retry = [d for d in details if d["@type"] == "type.googleapis.com/google.rpc.RetryInfo"]
    assert retry == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "3s"}]


def test_overloaded_is_a_server_error(mock):
    mock.enqueue("overloaded")
    with pytest.raises(errors.ServerError) as raised:
        client(mock).models.generate_content(model=IMAGE_MODEL, contents="x")
    assert raised.value.code == 503


def test_an_error_in_the_middle_of_a_stream_is_raised(mock):
    mock.enqueue("stream_error")
    seen = []
    with pytest.raises(errors.APIError) as raised:
        for chunk in client(mock).models.generate_content_stream(
            model=IMAGE_MODEL,
            contents="a storm",
            config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
        ):
            seen.append(chunk)
    assert seen, "chunks came before the error"
    assert raised.value.code == 503


def test_image_safety_is_the_finish_reason(mock):
    mock.enqueue("image_safety")
    response = client(mock).models.generate_content(
        model=IMAGE_MODEL,
        contents="x",
        config=types.GenerateContentConfig(response_modalities=["TEXT", "IMAGE"]),
    )
    assert response.candidates[0].finish_reason == types.FinishReason.IMAGE_SAFETY
    # (google-genai 3.6.1 does not copy finishMessage into its Candidate; the mock sends it.)
    assert not response.candidates[0].content or not response.candidates[0].content.parts


@pytest.mark.parametrize(
    "mime_type, data, message",
    [
        # Python's mimetypes and many apps say image/jpg; Gemini reads only image/jpeg.
        ("image/jpg", None, "Unsupported MIME type: image/jpg"),
        ("image/png", b"not a picture", "Unable to process input image."),
    ],
)
def test_media_gemini_cannot_read_is_a_client_error(mock, mime_type, data, message):
    if data is None:
        buffer = io.BytesIO()
        Image.new("RGB", (8, 8)).save(buffer, format="JPEG")
        data = buffer.getvalue()
    with pytest.raises(errors.ClientError) as raised:
        client(mock).models.generate_content(
            model=IMAGE_MODEL,
            contents=[types.Part.from_bytes(data=data, mime_type=mime_type), "edit it"],
        )
    assert raised.value.code == 400
    assert raised.value.status == "INVALID_ARGUMENT"
    assert raised.value.message.startswith(message)


def test_a_part_without_data_lists_google_s_violation(mock):
    # A chat history with an empty turn part, as apps build by mistake.
    with pytest.raises(errors.ClientError) as raised:
        client(mock).models.generate_content(
            model=IMAGE_MODEL,
            contents=[types.Content(role="user", parts=[types.Part(thought=True)])],
        )
    assert raised.value.message == (
        "* GenerateContentRequest.contents[0].parts[0].data: "
        "required oneof field 'data' must have one initialized field\n"
    )
