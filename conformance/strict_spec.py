"""The spec as a strict request generator must see it, written to stdout as JSON.

`openapi/gemini.yaml` describes what a *client* must accept: every enum is open (a value Google
adds later must parse) and fields that responses may omit are optional. A fuzzer generating
*requests* from that would send enum values and part shapes that Google (and the mock) rightly
refuse, and count each refusal as a failure. So request bodies get their own copy of every
schema (`<Name>InRequest`), made strict; responses keep the spec's schemas, with unknown
properties refused (the mock must not invent fields). In the request copies:

* every open enum (`x-open-enum`) is closed to the values known today — by name, or by number
  as proto3 JSON allows (`x-enum-numbers`, else the position in the list; no numbers for a
  plain string field, `x-proto-string`);
* the fields listed in `x-required-in-request` become `required`, and lists named in
  `x-nonempty-in-request` need an item;
* a proto oneof (`x-oneof`) takes one member at most, and exactly one when it is required
  (written as one variant per member, which a generator can draw from directly); a member given
  as null is not one;
* an int64 (a string on the wire, `format: int64`) is digits, as the parser wants, or a JSON
  number, which the parser takes too;
* image data (`Blob`) is a real PNG: a schema cannot say "bytes that decode as an image", and
  Google refuses bytes that do not ("Unable to process input image");
* an open union (`x-open-union`: a step or content type added later must parse) is closed to
  its known members, as an open enum is;
* the properties a schema lists in `x-vertex-only` (Vertex AI's, such as `imageConfig`'s
  `personGeneration`) are left out: schemathesis speaks to the Gemini API's routes, which
  refuse them as unknown fields, as Google's does;
* every property that may be left out may also be `null` (`nullable: true`): Google's parser
  follows the proto3 JSON mapping, where "null is an accepted value for all field types and
  treated as the default value of the corresponding field type"
  (https://protobuf.dev/programming-guides/json/), and so does the mock (`validate.rs`). Not a
  required property (null is "not specified", as a missing one), and not an array item (a null
  element is refused: "Repeated field elements cannot be null") or a map value ("Map value
  cannot be null"). Evidence: the format's documentation and protobuf's parsers; Google's own
  answer to a null field has not been captured.

Everywhere:

* objects take no properties they do not list (Google refuses an unknown field), except the
  free-form ones (`additionalProperties` given);
* `pageToken` is left out: it is opaque, only ever copied from a previous page;
* the `{model}` path parameter lists the models each operation serves (any other id is a 404,
  which the spec documents but which "valid data must be accepted" cannot know);
* `generateContent` is split in two literal paths, one per kind of model, because what a body may
  hold depends on the model in the path, which a schema cannot say: a text model cannot answer
  with IMAGE, and an image model refuses `systemInstruction` and `responseMimeType` ("Developer
  instruction is not enabled", "Parameter response_mime_type is not supported for generating
  image response."). The spec's examples, all image requests, go to the image model. Those two
  fields stay in the image model's body as null only: null is no field.

Batch mode (`batchGenerateContent`, see `strict_batches`): inline requests only, at least one.

The Interactions API (`createInteraction`, see `strict_interactions`): its body names the model
(the image model here), and what the image model refuses is left out of what is valid —
`system_instruction` (null only, as above), output formats other than text and images, media
other than a real PNG sent inline (a `uri` must name a stored file), and a
`previous_interaction_id` (null only: a generated id names no stored interaction, a 404).
`background: true` needs `store` (not false). A union's member (a step, a content block, a
response format) is read as any other object once its tag has chosen it, nulls included.
"""

import copy
import json
import sys

import yaml

# Live models (gemini-3.1-flash-image takes every aspect ratio and image size of the spec), and
# Imagen for `predict`, which only a mock serving the legacy models answers (see run.py).
TEXT_MODEL = "gemini-3.5-flash"
IMAGE_MODEL = "gemini-3.1-flash-image"
MODELS = {
    "countTokens": ["gemini-3.5-flash", "gemini-3.1-flash-image"],
    "getModel": ["gemini-3.5-flash", "gemini-3.1-flash-image", "gemini-3-pro-image"],
    "predict": ["imagen-4.0-generate-001"],
    # A batch's lines are answered one by one: what a model refuses in a line is that line's
    # error, never the create's, so any line is valid for either kind of model.
    "batchGenerateContent": ["gemini-3.1-flash-image", "gemini-3.5-flash"],
    "streamGenerateContent": ["gemini-3.5-flash"],
}

# A 1x1 PNG.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"

SCHEMAS = "#/components/schemas/"
IN_REQUEST = "InRequest"

# A value that is not null, and null only (`nullable_properties` adds the `nullable: true` that
# OpenAPI 3.0 wants beside an enum with null).
NOT_NULL = {"not": {"enum": [None]}}
ONLY_NULL = {"enum": [None]}

# The `event:` names of an Interactions stream (the last frame is `event: done`).
STREAM_EVENTS = [
    "interaction.created",
    "interaction.status_update",
    "step.start",
    "step.delta",
    "step.stop",
    "interaction.completed",
    "error",
    "done",
]

# The request schemas `split_generate_content` makes, per kind of model.
SPLIT = ("GenerateContentRequestFor", "GenerationConfigFor")


def walk(node, visit):
    """Calls `visit` on every dict of a JSON tree, parents first."""
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            walk(value, visit)


def close_objects(node):
    """`additionalProperties: false` on every object that lists its properties and says nothing
    of others, at any depth."""

    def close(schema):
        if "properties" in schema and "additionalProperties" not in schema:
            schema["additionalProperties"] = False

    walk(node, close)


def to_request_copies(node):
    """Points every schema `$ref` in `node` at the request copy."""

    def retarget(schema):
        ref = schema.get("$ref", "")
        if ref.startswith(SCHEMAS) and not ref.endswith(IN_REQUEST):
            schema["$ref"] = ref + IN_REQUEST

    walk(node, retarget)


def digits_for_int64(node):
    """An int64 travels as a string the parser must read as a number — or as a JSON number,
    which proto3 JSON parsers (Google's, the mock's `validate.rs`) take too (a batch's
    `priority: 0`)."""

    def constrain(schema):
        if schema.get("type") == "string" and schema.get("format") == "int64":
            del schema["type"], schema["format"]
            schema["anyOf"] = [
                {"type": "string", "pattern": "^-?[0-9]{1,18}$"},
                {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
            ]

    walk(node, constrain)


def enum_numbers(enum, names=None):
    """The numbers the server takes for these names of a closed enum (all of them by default):
    the proto's, from `x-enum-numbers`, else positions; none for a plain string field."""
    if enum.get("x-proto-string"):
        return []
    numbers = enum.get("x-enum-numbers") or list(range(len(enum["enum"])))
    wanted = enum["enum"] if names is None else names
    return [n for name, n in zip(enum["enum"], numbers) if name in wanted and n is not None]


def drop_vertex_only(schema):
    """Leaves out the properties `schema` lists in `x-vertex-only`: the Gemini API has none of
    them."""
    for name in schema.pop("x-vertex-only", []):
        schema.get("properties", {}).pop(name, None)


def strict_request_schema(schema, schemas):
    """Makes one request copy strict, in place."""
    digits_for_int64(schema)
    if schema.get("x-open-enum"):
        closed = next(s["$ref"] for s in schema["oneOf"] if "$ref" in s)
        numbers = enum_numbers(schemas[closed.rsplit("/", 1)[1].removesuffix(IN_REQUEST)])
        schema.clear()
        schema["oneOf"] = [{"$ref": closed}]
        if numbers:
            schema["oneOf"].append({"type": "integer", "enum": numbers})
        return
    if schema.get("x-open-union"):
        known = next(s for s in schema["oneOf"] if "$ref" in s)
        schema.clear()
        schema.update(known)
        return
    oneofs = schema.get("x-oneof", {})
    promoted = schema.get("x-required-in-request", [])
    required = set(schema.get("required", []))
    required |= {f for f in promoted if f not in oneofs}
    for field in schema.get("x-nonempty-in-request", {}):
        required.add(field)
        schema["properties"][field]["minItems"] = 1
    if required:
        schema["required"] = sorted(required)
    for name, members in oneofs.items():
        if name in promoted:
            # One variant per member, where the other members can only be null (proto3 JSON:
            # a member given as null does not set the oneof).
            common = {k: v for k, v in schema.items() if k not in ("properties", "required")}
            variants = []
            for member in members:
                variant = copy.deepcopy(common)
                variant["properties"] = {
                    k: v if k == member or k not in members else copy.deepcopy(ONLY_NULL)
                    for k, v in schema["properties"].items()
                }
                variant["required"] = sorted(required | {member})
                variants.append(variant)
            schema.clear()
            schema["oneOf"] = variants
            return
        # A member given as null does not set the oneof (proto3 JSON: null is absent).
        pairs = [
            {"required": [a, b], "properties": {m: copy.deepcopy(NOT_NULL) for m in (a, b)}}
            for i, a in enumerate(members)
            for b in members[i + 1 :]
        ]
        schema.setdefault("allOf", []).append({"not": {"anyOf": pairs}})


def nullable_properties(schema):
    """`nullable: true` on every property `schema` does not require, at any depth of inline
    objects and variants: proto3 JSON reads a null field as an absent one. Array items and map
    values are left alone (a null there is refused), and so is what a `not` excludes. Beside a
    `$ref`, `nullable` is a sibling OpenAPI 3.0 leaves undefined; schemathesis, like most tools,
    reads it as "or null"."""
    if not isinstance(schema, dict):
        return
    required = set(schema.get("required", []))
    for name, prop in schema.get("properties", {}).items():
        # `false` (a property that must not appear) stays what it is.
        if isinstance(prop, dict) and name not in required:
            prop["nullable"] = True
            # OpenAPI 3.0: a nullable enum lists null among its values.
            if "enum" in prop and None not in prop["enum"]:
                prop["enum"].append(None)
        nullable_properties(prop)
    for key in ("items", "additionalProperties"):
        nullable_properties(schema.get(key))
    for key in ("oneOf", "anyOf", "allOf"):
        for variant in schema.get(key, []):
            nullable_properties(variant)


def strict(spec):
    schemas = spec["components"]["schemas"]
    close_objects(spec["components"])
    close_objects(spec["paths"])
    requests = {name + IN_REQUEST: copy.deepcopy(schema) for name, schema in schemas.items()}
    to_request_copies(requests)
    for schema in requests.values():
        drop_vertex_only(schema)
        strict_request_schema(schema, schemas)
    blob = requests["Blob" + IN_REQUEST]["properties"]
    blob["data"] = {"type": "string", "enum": [PNG]}
    blob["mimeType"] = {"type": "string", "enum": ["image/png"]}
    schemas.update(requests)
    for path in spec["paths"].values():
        for operation in path.values():
            if isinstance(operation, dict) and "requestBody" in operation:
                to_request_copies(operation["requestBody"])
    split_generate_content(spec)
    strict_interactions(spec)
    strict_batches(spec)
    for name, schema in schemas.items():
        if name.endswith(IN_REQUEST) or name.startswith(SPLIT):
            nullable_properties(schema)
    model = spec["components"]["parameters"]["Model"]
    for path in spec["paths"].values():
        for operation in path.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            parameters = operation.get("parameters", [])
            parameters[:] = [p for p in parameters if p.get("name") != "pageToken"]
            for index, parameter in enumerate(parameters):
                if parameter.get("$ref") == "#/components/parameters/Model":
                    inline = copy.deepcopy(model)
                    inline["schema"] = {"type": "string", "enum": MODELS[operation["operationId"]]}
                    parameters[index] = inline
    return spec


def strict_interactions(spec):
    """The request copies of the Interactions API's schemas, as the image model takes them, and
    its stream's events as schemathesis reads them (each an object of `event` and `data`)."""
    schemas = spec["components"]["schemas"]
    stream = spec["paths"]["/interactions"]["post"]["responses"]["200"]["content"]
    stream["text/event-stream"]["schema"] = {
        "type": "object",
        "required": ["event", "data"],
        "properties": {
            "event": {"type": "string", "enum": STREAM_EVENTS},
            "data": {"type": "string", "minLength": 1},
        },
    }
    body = schemas["CreateInteractionRequest" + IN_REQUEST]
    props = body["properties"]
    props["model"] = {"type": "string", "enum": [IMAGE_MODEL]}
    props["system_instruction"] = copy.deepcopy(ONLY_NULL)
    props["previous_interaction_id"] = copy.deepcopy(ONLY_NULL)
    props["response_modalities"]["items"] = {"type": "string", "enum": ["text", "image"]}
    # A background turn is read back by its id: it needs the store.
    body.setdefault("allOf", []).append(
        {
            "not": {
                "required": ["background", "store"],
                "properties": {"background": {"enum": [True]}, "store": {"enum": [False]}},
            }
        }
    )
    # Text and a real PNG inline.
    content = schemas["InteractionContent" + IN_REQUEST]
    text, image = content["oneOf"][0], content["oneOf"][1]
    image["properties"].pop("uri", None)
    image["properties"]["data"] = {"type": "string", "enum": [PNG]}
    image["properties"]["mime_type"] = {"type": "string", "enum": ["image/png"]}
    image["required"] = ["type", "data"]
    content["oneOf"] = [text, image]
    # One user turn: a string, one block, blocks, or `user_input` steps (Python's wrapping).
    user_input = copy.deepcopy(schemas["InteractionStep" + IN_REQUEST]["oneOf"][0])
    user_input["properties"]["content"]["minItems"] = 1
    user_input["required"] = ["type", "content"]
    block = {"$ref": SCHEMAS + "InteractionContent" + IN_REQUEST}
    schemas["InteractionInput" + IN_REQUEST] = {
        "oneOf": [
            {"type": "string"},
            block,
            {"type": "array", "minItems": 1, "items": block},
            {"type": "array", "minItems": 1, "items": user_input},
        ]
    }
    # An image as JPEG, or text as plain text or JSON; delivered inline.
    fmt = schemas["InteractionResponseFormat" + IN_REQUEST]
    fmt["properties"]["delivery"] = {"type": "string", "enum": ["inline"]}
    variants = []
    for kind, mime_types in (("image", ["image/jpeg"]), ("text", ["text/plain", "application/json"])):
        variant = copy.deepcopy(fmt)
        variant["properties"]["type"] = {"type": "string", "enum": [kind]}
        variant["properties"]["mime_type"] = {"type": "string", "enum": mime_types}
        variants.append(variant)
    fmt.clear()
    fmt["oneOf"] = variants


def strict_batches(spec):
    """Batch mode's create body as a generator can make it valid: inline requests, at least one
    (a `fileName` made up names no stored file, Google's 403 for valid requests too; an empty
    batch is refused), no `output` (the server's to write, refused). The other fields only an
    answer carries (the times, `state`, …) are read and ignored, as a proto parser does. What the
    model checks in a line is not constrained: a line the model refuses is that line's error in
    the results."""
    schemas = spec["components"]["schemas"]
    # The mock refuses an `output` (the results are the server's): null only.
    schemas["GenerateContentBatch" + IN_REQUEST]["properties"]["output"] = copy.deepcopy(ONLY_NULL)
    config = schemas["BatchInputConfig" + IN_REQUEST]
    config["properties"]["fileName"] = copy.deepcopy(ONLY_NULL)
    config["required"] = ["requests"]
    inlined = schemas["InlinedRequests" + IN_REQUEST]
    inlined["required"] = ["requests"]
    inlined["properties"]["requests"]["minItems"] = 1
    # What the model checks is refused in a line as that line's error, never the create's: in
    # a line, an image is any bytes (`generateContent`'s view pins a real PNG, which the model
    # can read), and the values marked `x-checked-by-model` (the aspect ratio, the image size)
    # any string. The request's schemas are copied for lines, names ending `InRequest` so that
    # `nullable_properties` reaches them too.
    line = "BatchLine"
    copy_reachable(schemas, "GenerateContentRequest" + IN_REQUEST, line)
    blob = schemas[line + "Blob" + IN_REQUEST]["properties"]
    for field in ("data", "mimeType"):
        blob[field] = copy.deepcopy(schemas["Blob"]["properties"][field])
    for prop in schemas[line + "ImageConfig" + IN_REQUEST]["properties"].values():
        target = prop.get("$ref", "").rsplit("/", 1)[-1].removeprefix(line)
        base = target.removesuffix(IN_REQUEST).removesuffix("Value")
        if schemas.get(base, {}).get("x-checked-by-model"):
            prop.clear()
            prop["type"] = "string"
    schemas["InlinedRequest" + IN_REQUEST]["properties"]["request"] = {
        "$ref": SCHEMAS + line + "GenerateContentRequest" + IN_REQUEST
    }


def copy_reachable(schemas, root, prefix):
    """Copies the schema `root` and every schema it reaches, each as `prefix + name`, with its
    references turned to the copies."""
    copies = {}
    done = set()

    def retarget(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            # A node met twice (a copy keeps its original's shared objects) is retargeted once.
            if isinstance(ref, str) and ref.startswith(SCHEMAS) and id(node) not in done:
                done.add(id(node))
                target = ref[len(SCHEMAS) :]
                visit(target)
                node["$ref"] = SCHEMAS + prefix + target
            for value in node.values():
                retarget(value)
        elif isinstance(node, list):
            for value in node:
                retarget(value)

    def visit(name):
        if name in copies:
            return
        copies[name] = copy.deepcopy(schemas[name])
        retarget(copies[name])

    visit(root)
    for name, schema in copies.items():
        schemas[prefix + name] = schema


def split_generate_content(spec):
    """One literal `generateContent` path per kind of model, each with the body that model takes."""
    schemas = spec["components"]["schemas"]
    template = spec["paths"].pop("/models/{model}:generateContent")["post"]

    def variant(kind, config):
        config_name = f"{SPLIT[1]}{kind}"
        body_name = f"{SPLIT[0]}{kind}"
        schemas[config_name] = config
        body = copy.deepcopy(schemas["GenerateContentRequest" + IN_REQUEST])
        body["properties"]["generationConfig"] = {"$ref": SCHEMAS + config_name}
        schemas[body_name] = body
        operation = copy.deepcopy(template)
        operation["operationId"] = f"generateContentWith{kind}"
        operation["parameters"] = []
        media = operation["requestBody"]["content"]["application/json"]
        media["schema"] = {"$ref": SCHEMAS + body_name}
        return operation, body, media

    text_config = copy.deepcopy(schemas["GenerationConfig" + IN_REQUEST])
    modalities = schemas["Modality"]["enum"]
    no_image = [m for m in modalities if m != "IMAGE"]
    text_config["properties"]["responseModalities"]["items"] = {
        "oneOf": [
            {"type": "string", "enum": no_image},
            {"type": "integer", "enum": enum_numbers(schemas["Modality"], no_image)},
        ]
    }
    text, _, text_media = variant("TextModel", text_config)
    text_media.pop("examples", None)

    image_config = copy.deepcopy(schemas["GenerationConfig" + IN_REQUEST])
    image_config["properties"]["responseMimeType"] = copy.deepcopy(ONLY_NULL)
    image, image_body, _ = variant("ImageModel", image_config)
    image_body["properties"]["systemInstruction"] = copy.deepcopy(ONLY_NULL)

    spec["paths"][f"/models/{TEXT_MODEL}:generateContent"] = {"post": text}
    spec["paths"][f"/models/{IMAGE_MODEL}:generateContent"] = {"post": image}


if __name__ == "__main__":
    with open(sys.argv[1]) as source:
        json.dump(strict(yaml.safe_load(source)), sys.stdout, indent=1)
