"""The spec as a strict request generator must see it, written to stdout as JSON.

`openapi/gemini.yaml` describes what a *client* must accept: every enum is open (a value Google
adds later must parse) and fields that responses may omit are optional. A fuzzer generating
*requests* from that would send enum values and part shapes that Google (and the mock) rightly
refuse, and count each refusal as a failure. So, for schemathesis only:

* every open enum (`x-open-enum`) is closed to the values known today — by name, or by number
  as proto3 JSON allows (the mock reads a number as the position in the list);
* the fields listed in `x-required-in-request` become `required`;
* objects take no properties they do not list (Google refuses an unknown field), except the
  free-form ones (`additionalProperties` given);
* image data (`Blob`) is a real PNG: a schema cannot say "bytes that decode as an image", and
  Google refuses bytes that do not ("Unable to process input image");
* `pageToken` is left out: it is opaque, only ever copied from a previous page;
* the `{model}` path parameter lists the models each operation serves (any other id is a 404,
  which the spec documents but which "valid data must be accepted" cannot know).
"""

import json
import sys

import yaml

MODELS = {
    "generateContent": ["gemini-2.5-flash"],
    "countTokens": ["gemini-2.5-flash", "gemini-2.5-flash-image"],
    "getModel": ["gemini-2.5-flash", "gemini-2.5-flash-image", "gemini-3-pro-image"],
    "predict": ["imagen-4.0-generate-001"],
    "streamGenerateContent": ["gemini-2.5-flash"],
}


# A 1x1 PNG.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC"


def close_objects(node):
    """`additionalProperties: false` on every object that lists its properties and says nothing
    of others, at any depth."""
    if isinstance(node, dict):
        if "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            close_objects(value)
    elif isinstance(node, list):
        for value in node:
            close_objects(value)


def strict(spec):
    schemas = spec["components"]["schemas"]
    for schema in schemas.values():
        if schema.get("x-open-enum"):
            closed = next(s["$ref"] for s in schema["oneOf"] if "$ref" in s)
            count = len(schemas[closed.rsplit("/", 1)[1]]["enum"])
            schema.clear()
            schema["oneOf"] = [
                {"$ref": closed},
                {"type": "integer", "minimum": 0, "maximum": count - 1},
            ]
        promoted = schema.get("x-required-in-request")
        if promoted:
            schema["required"] = sorted(set(schema.get("required", [])) | set(promoted))
    blob = schemas["Blob"]["properties"]
    blob["data"] = {"type": "string", "enum": [PNG]}
    blob["mimeType"] = {"type": "string", "enum": ["image/png"]}
    close_objects(spec["components"])
    close_objects(spec["paths"])
    model = spec["components"]["parameters"]["Model"]
    for path in spec["paths"].values():
        for operation in path.values():
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            parameters = operation.get("parameters", [])
            parameters[:] = [p for p in parameters if p.get("name") != "pageToken"]
            for index, parameter in enumerate(parameters):
                if parameter.get("$ref") == "#/components/parameters/Model":
                    inline = json.loads(json.dumps(model))
                    inline["schema"] = {"type": "string", "enum": MODELS[operation["operationId"]]}
                    parameters[index] = inline
    return spec


if __name__ == "__main__":
    with open(sys.argv[1]) as source:
        json.dump(strict(yaml.safe_load(source)), sys.stdout, indent=1)
