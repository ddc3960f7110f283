"""The Interactions API through google-genai 3.6.1 against gemini-image-mock, with no change to
the SDK: `client.interactions.create / get / delete / cancel` — an image at the asked size, an edit
of an input image, a chained edit by `previous_interaction_id`, a stream, `store=False`,
`background=True` then polled or cancelled, the stored timeline (also replayed as a stream), and
the Interactions error shape (a string `code` slug) as the SDK's own exceptions, the mock's
scenarios included — on both `v1` (the SDK's default) and `v1beta`."""

import base64
import io
import time

import pytest
from google import genai
# google-genai 3.6.1 raises the Interactions errors as these classes (BadRequestError,
# NotFoundError, …, under APIStatusError); `google.genai._interactions` is where the SDK
# re-exports them, `google.genai.errors` has only generateContent's.
from google.genai import _interactions, types
from PIL import Image

IMAGE_MODEL = "gemini-3.1-flash-image"
# Small images where the test is not about size: the tests stay fast.
SMALL = {"type": "image", "aspect_ratio": "1:1", "image_size": "512"}

# A client closes its connections when collected: keep each alive for the whole session.
_clients = []


def client(mock, api_version=None):
    """google-genai against the mock; `api_version=None` keeps the SDK's default (v1)."""
    options = {"base_url": mock.url}
    if api_version:
        options["api_version"] = api_version
    # The SDK retries interactions.create five times by default: an error must reach the test
    # as the one answer it is.
    options["retry_options"] = types.HttpRetryOptions(attempts=1)
    made = genai.Client(api_key="conformance-key", http_options=types.HttpOptions(**options))
    _clients.append(made)
    return made


def picture(image):
    """An `image` content block (the SDK's `output_image`, a step's content or a delta) decoded."""
    assert image is not None, "no image in the reply"
    return Image.open(io.BytesIO(base64.b64decode(image.data, validate=True)))


def interaction_requests(mock):
    return [r for r in mock.requests() if "/interactions" in r["path"]]


def image_data(value):
    """Every image block carrying bytes (`{"type": "image", "data": …}`) inside a JSON value."""
    if isinstance(value, dict):
        found = [value] if value.get("type") == "image" and "data" in value else []
        return found + [b for v in value.values() for b in image_data(v)]
    if isinstance(value, list):
        return [b for v in value for b in image_data(v)]
    return []


def red_png(tmp_path, size=(64, 48)):
    path = tmp_path / "red.png"
    Image.new("RGB", size, (200, 30, 30)).save(path, format="PNG")
    return path


def is_grey(image):
    r, g, b = image.convert("RGB").getpixel((image.size[0] // 2, image.size[1] // 2))
    return abs(r - g) <= 12 and abs(g - b) <= 12  # within JPEG's rounding


@pytest.mark.parametrize("api_version", [None, "v1beta"])
def test_an_image_at_the_asked_size(mock, api_version):
    c = client(mock, api_version)
    interaction = c.interactions.create(
        model=IMAGE_MODEL,
        input="a red bicycle leaning on a wall",
        response_format={"type": "image", "aspect_ratio": "16:9", "image_size": "2K"},
    )
    assert interaction.status == "completed"
    assert interaction.id
    assert interaction.model == IMAGE_MODEL
    image = picture(interaction.output_image)
    assert image.format == "JPEG"
    assert image.size == (2752, 1536)
    # The same size as generateContent makes for that ratio and size.
    response = c.models.generate_content(
        model=IMAGE_MODEL,
        contents="a red bicycle leaning on a wall",
        config=types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(aspect_ratio="16:9", image_size="2K"),
        ),
    )
    [part] = [p for p in response.candidates[0].content.parts if p.inline_data and not p.thought]
    assert Image.open(io.BytesIO(part.inline_data.data)).size == image.size
    # POST answers the new model steps only; the image is in a model_output step.
    kinds = [step.type for step in interaction.steps]
    assert "user_input" not in kinds and kinds[-1] == "model_output"
    [sent] = interaction_requests(mock)
    assert sent["method"] == "POST"
    assert sent["path"] == f"/{api_version or 'v1'}/interactions"
    assert sent["body"]["response_format"] == {
        "type": "image", "aspect_ratio": "16:9", "image_size": "2K",
    }
    assert sent["status"] == 200


@pytest.mark.parametrize("api_version", [None, "v1beta"])
def test_edit_an_input_image(mock, tmp_path, api_version):
    # google-genai 3.6.1 takes a path (or a binary file), not bytes; it wraps the flat content
    # list into one `user_input` step and sends standard base64.
    interaction = client(mock, api_version).interactions.create(
        model=IMAGE_MODEL,
        input=[
            {"type": "text", "text": "make it black and white"},
            {"type": "image", "data": red_png(tmp_path), "mime_type": "image/png"},
        ],
        response_format=SMALL,
    )
    assert interaction.status == "completed"
    assert is_grey(picture(interaction.output_image))
    [sent] = interaction_requests(mock)
    [step] = sent["body"]["input"]
    assert step["type"] == "user_input"
    assert [block["type"] for block in step["content"]] == ["text", "image"]


def test_a_chained_edit_sends_no_image(mock, tmp_path):
    c = client(mock)
    with open(red_png(tmp_path), "rb") as image:  # a binary file works as well as a path
        first = c.interactions.create(
            model=IMAGE_MODEL,
            input=[
                {"type": "text", "text": "a flower in a pot"},
                {"type": "image", "data": image, "mime_type": "image/png"},
            ],
            response_format=SMALL,
        )
    second = c.interactions.create(
        model=IMAGE_MODEL,
        input="make it black and white",
        previous_interaction_id=first.id,
        response_format=SMALL,
    )
    assert second.status == "completed"
    assert second.id and second.id != first.id
    assert is_grey(picture(second.output_image))
    sent = interaction_requests(mock)
    assert len(image_data(sent[0]["body"])) == 1
    # The server keeps the history: the chained turn carries only its instruction.
    assert sent[1]["body"]["previous_interaction_id"] == first.id
    assert image_data(sent[1]["body"]) == []


def test_a_stream_carries_the_image_in_a_step_delta(mock):
    stream = client(mock).interactions.create(
        model=IMAGE_MODEL, input="a fox in the snow", response_format=SMALL, stream=True,
    )
    events = list(stream)  # ends: the SDK saw the stream's end
    kinds = [event.event_type for event in events]
    assert kinds[0] == "interaction.created"
    assert kinds[-1] == "interaction.completed"
    assert events[0].interaction.status == "in_progress"
    completed = events[-1].interaction
    assert completed.status == "completed"
    assert completed.id == events[0].interaction.id != ""
    # Every step opens, changes and closes in order, by index.
    assert "step.start" in kinds and "step.stop" in kinds
    assert kinds.index("step.start") < kinds.index("step.delta") < kinds.index("step.stop")
    images = [
        e.delta for e in events if e.event_type == "step.delta" and e.delta.type == "image"
    ]
    assert len(images) == 1
    assert picture(images[0]).size == (512, 512)
    assert all(kind in KNOWN_EVENTS for kind in kinds), kinds
    [sent] = interaction_requests(mock)
    assert sent["body"]["stream"] is True
    assert sent["headers"]["accept"] == "text/event-stream"


KNOWN_EVENTS = {
    "interaction.created",
    "interaction.status_update",
    "step.start",
    "step.delta",
    "step.stop",
    "interaction.completed",
}


def test_get_with_stream_replays_the_events(mock):
    c = client(mock)
    created = c.interactions.create(model=IMAGE_MODEL, input="a kite", response_format=SMALL)
    events = list(c.interactions.get(created.id, stream=True))
    kinds = [event.event_type for event in events]
    assert kinds[0] == "interaction.created" and kinds[-1] == "interaction.completed"
    assert events[-1].interaction.id == created.id
    [image] = [e.delta for e in events if e.event_type == "step.delta" and e.delta.type == "image"]
    assert image.data == created.output_image.data
    get = interaction_requests(mock)[-1]
    assert get["method"] == "GET" and get["query"]["stream"] == "true"


def test_the_api_version_of_one_call(mock):
    c = client(mock)  # the client's default: v1
    created = c.interactions.create(
        model=IMAGE_MODEL, input="a kite", response_format=SMALL, api_version="v1beta",
    )
    assert c.interactions.get(created.id, api_version="v1beta").id == created.id
    assert [r["path"] for r in interaction_requests(mock)] == [
        "/v1beta/interactions",
        f"/v1beta/interactions/{created.id}",
    ]


def test_the_stream_ends_with_done(mock):
    """The wire under the SDK: `event:` lines, `event_type` inside each data, `[DONE]` last."""
    stream = client(mock).interactions.create(
        model=IMAGE_MODEL, input="a fox", response_format=SMALL, stream=True,
    )
    with stream:
        raw = b"".join(stream.response.iter_bytes())
    frames = [f for f in raw.decode().split("\n\n") if f.strip()]
    assert frames[-1] == "event: done\ndata: [DONE]"
    assert all(f.startswith("event: ") and "\ndata: {" in f for f in frames[:-1])


def test_store_false_has_no_id(mock):
    c = client(mock)
    raw = c.interactions.with_raw_response.create(
        model=IMAGE_MODEL, input="a lighthouse", response_format=SMALL, store=False,
    )
    assert raw.status_code == 200
    assert "id" not in raw.json()  # no key at all on the wire
    interaction = raw.parse()
    assert interaction.status == "completed"
    assert not interaction.id  # the SDK's default for a missing id is ""
    assert picture(interaction.output_image).size == (512, 512)
    events = list(
        c.interactions.create(
            model=IMAGE_MODEL, input="a lighthouse", response_format=SMALL, store=False,
            stream=True,
        )
    )
    # In a stream the id is there, and empty.
    assert events[0].interaction.id == ""
    assert events[-1].interaction.status == "completed"


def test_background_then_cancel(mock):
    c = client(mock)
    started = c.interactions.create(
        model=IMAGE_MODEL, input="a slow sunset", response_format=SMALL, background=True,
    )
    assert started.id
    # The mock's background turn takes a second: the cancel comes well before.
    assert started.status == "in_progress"
    cancelled = c.interactions.cancel(started.id)
    assert cancelled.id == started.id
    assert cancelled.status == "cancelled"
    mock.admin("POST", "clock", {"advance": "5m"})
    assert c.interactions.get(started.id).status == "cancelled"
    cancel = interaction_requests(mock)[-2]
    assert cancel["method"] == "POST" and cancel["path"] == f"/v1/interactions/{started.id}/cancel"


def test_background_is_polled_until_completed(mock):
    c = client(mock)
    started = c.interactions.create(
        model=IMAGE_MODEL, input="a harbour at dawn", response_format=SMALL, background=True,
    )
    assert started.status == "in_progress"
    assert not started.steps and started.output_image is None
    mock.admin("POST", "clock", {"advance": "5m"})  # the mock's clock: no waiting
    done = c.interactions.get(started.id)
    assert done.status == "completed"
    assert picture(done.output_image).size == (512, 512)


def test_a_slow_background_job_answers_its_create_at_once(mock):
    """`background=True` is for jobs longer than a connection: the create answers at once,
    however long the model takes (here the mock's `slow` scenario)."""
    mock.enqueue("slow=4s")
    c = client(mock)
    began = time.monotonic()
    started = c.interactions.create(
        model=IMAGE_MODEL, input="a slow sunset", response_format=SMALL, background=True,
    )
    assert time.monotonic() - began < 2, "the background create waited for the model"
    assert c.interactions.get(started.id).status == "in_progress"
    mock.admin("POST", "clock", {"advance": "5m"})
    assert c.interactions.get(started.id).status == "completed"


def test_background_needs_store(mock):
    with pytest.raises(_interactions.BadRequestError) as raised:
        client(mock).interactions.create(
            model=IMAGE_MODEL, input="x", background=True, store=False,
        )
    assert_interactions_error(raised.value.body, "invalid_request")


@pytest.mark.parametrize("api_version", [None, "v1beta"])
def test_get_returns_the_whole_timeline(mock, api_version):
    c = client(mock, api_version)
    created = c.interactions.create(
        model=IMAGE_MODEL, input="a blue teapot", response_format=SMALL,
    )
    stored = c.interactions.get(created.id)
    assert stored.id == created.id
    assert stored.status == "completed"
    assert stored.steps[0].type == "user_input"
    assert stored.steps[0].content[0].type == "text"
    assert stored.steps[0].content[0].text == "a blue teapot"
    # After the user's input, the very steps create answered.
    assert [s.type for s in stored.steps[1:]] == [s.type for s in created.steps]
    assert picture(stored.output_image).tobytes() == picture(created.output_image).tobytes()
    get = interaction_requests(mock)[-1]
    assert get["method"] == "GET"
    assert get["path"] == f"/{api_version or 'v1'}/interactions/{created.id}"


@pytest.mark.parametrize("api_version", [None, "v1beta"])
def test_delete_then_get_is_not_found(mock, api_version):
    c = client(mock, api_version)
    created = c.interactions.create(model=IMAGE_MODEL, input="a cat", response_format=SMALL)
    assert c.interactions.delete(created.id) is None
    with pytest.raises(_interactions.NotFoundError) as raised:
        c.interactions.get(created.id)
    assert raised.value.status_code == 404
    assert_interactions_error(raised.value.body, "not_found")
    with pytest.raises(_interactions.NotFoundError):
        c.interactions.delete(created.id)


@pytest.mark.parametrize("api_version", [None, "v1beta"])
def test_a_bad_request_is_the_sdk_s_bad_request_error(mock, api_version):
    with pytest.raises(_interactions.BadRequestError) as raised:
        client(mock, api_version).interactions.create(
            model=IMAGE_MODEL,
            input="a banner",
            response_format={"type": "image", "aspect_ratio": "7:3"},
        )
    assert raised.value.status_code == 400
    assert_interactions_error(raised.value.body, "invalid_request")


def test_an_unknown_previous_interaction_is_an_error(mock):
    # What Google answers is unconfirmed; the mock's decision is 404 `not_found`.
    with pytest.raises(_interactions.NotFoundError) as raised:
        client(mock).interactions.create(
            model=IMAGE_MODEL, input="again", previous_interaction_id="v1_nothing_here",
        )
    assert_interactions_error(raised.value.body, "not_found")


@pytest.mark.parametrize(
    "scenario, error, status, code",
    [
        ("rate_limit", _interactions.RateLimitError, 429, "resource_exhausted"),
        ("overloaded", _interactions.InternalServerError, 503, "unavailable"),
    ],
)
def test_the_mock_s_scenarios_are_the_sdk_s_errors(mock, scenario, error, status, code):
    mock.enqueue(scenario)
    with pytest.raises(error) as raised:
        client(mock).interactions.create(model=IMAGE_MODEL, input="x", response_format=SMALL)
    assert raised.value.status_code == status
    assert_interactions_error(raised.value.body, code)


def test_an_error_in_a_stream_is_an_error_event(mock):
    mock.enqueue("stream_error")
    events = list(
        client(mock).interactions.create(
            model=IMAGE_MODEL, input="x", response_format=SMALL, stream=True,
        )
    )
    assert events[0].event_type == "interaction.created"
    # The SDKs yield an in-stream error; they do not raise.
    assert events[-1].event_type == "error"
    assert events[-1].error.code == "unavailable"
    assert "interaction.completed" not in [e.event_type for e in events]


def test_a_blocked_image_is_a_failed_interaction(mock):
    mock.enqueue("image_safety")
    interaction = client(mock).interactions.create(
        model=IMAGE_MODEL, input="x", response_format=SMALL,
    )
    assert interaction.status == "failed"
    assert interaction.output_image is None
    assert [e.code for e in interaction.errors] == ["content_blocked"]


def assert_interactions_error(body, code):
    """The Interactions error shape: a string slug for `code`, a message, and no `status`."""
    assert isinstance(body, dict), body
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert "status" not in error
