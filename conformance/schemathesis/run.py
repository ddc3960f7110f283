"""schemathesis against a running gemini-image-mock, with the strict view of our spec.

Every request schemathesis makes from `strict_spec.py`'s view must be answered as Google would:
valid ones accepted, invalid ones refused with a 4xx, and every answer within the spec (status,
content type, body). The seed and the number of examples are fixed, so a failure reproduces.
"""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from conftest import Mock  # noqa: E402
from strict_spec import strict  # noqa: E402

import json  # noqa: E402

import yaml  # noqa: E402

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
]


def main():
    root = HERE.parent.parent
    work = Path(os.environ.get("CONFORMANCE_WORK", root / "target" / "conformance"))
    work.mkdir(parents=True, exist_ok=True)
    spec = work / "strict.json"
    with open(root / "openapi" / "gemini.yaml") as source:
        spec.write_text(json.dumps(strict(yaml.safe_load(source)), indent=1))
    # With the legacy models: `predict` is Imagen's, which Google has shut down, and every
    # operation of the spec is fuzzed. The refusal of retired models (404, not listed) is proven
    # by the SDK suites of this directory and the mock's own tests.
    mock = Mock("--legacy-models")
    try:
        command = [
            str(Path(sys.executable).parent / "schemathesis"),
            "run",
            str(spec),
            "--url", mock.url + "/v1beta",
            "-H", "x-goog-api-key: conformance",
            "--checks", ",".join(CHECKS),
            # streamGenerateContent answers Server-Sent Events: schemathesis reads a body as one
            # JSON document and cannot check a stream of them. Its framing and events are
            # checked by the mock's own SSE tests and by both official SDKs in this suite.
            "--exclude-operation-id", "streamGenerateContent",
            # The upload is a protocol of several requests (a start, then chunks to the URL it
            # answers), not one request a generator can make; a file named by a generated id does
            # not exist, which Google answers 403 for valid requests too. The Files API is proven
            # by both official SDKs (test_files.py, files.test.js) and the mock's own tests.
            "--exclude-operation-id", "uploadFile",
            "--exclude-operation-id", "getFile",
            "--exclude-operation-id", "deleteFile",
            "--exclude-operation-id", "downloadFile",
            # An interaction named by a generated id does not exist (a 404 for valid requests
            # too), and none can be made first in the same request. createInteraction is
            # fuzzed (its stream answers included: text/event-stream is documented); get,
            # delete and cancel are proven by the mock's tests (tests/interactions.rs), the
            # SDK's raw test (every operation through Client::raw) and both official SDKs.
            "--exclude-operation-id", "getInteraction",
            "--exclude-operation-id", "deleteInteraction",
            "--exclude-operation-id", "cancelInteraction",
            # A batch named by a generated id does not exist (Google's 404 for valid requests
            # too), and none can be made first in the same request. batchGenerateContent and
            # listBatches are fuzzed (inline input: see strict_spec.strict_batches); get, delete
            # and cancel are proven by the mock's tests (tests/batches.rs), the SDK's raw test
            # (every operation through Client::raw) and both official SDKs.
            "--exclude-operation-id", "getBatch",
            "--exclude-operation-id", "deleteBatch",
            "--exclude-operation-id", "cancelBatch",
            "--seed", "42",
            "--max-examples", "25",
            "--workers", "1",
            "--no-shrink",
            # The same cases on every machine: no examples replayed from an earlier run, and
            # no refusal because this machine generates data more slowly than another.
            "--generation-database", "none",
            "--suppress-health-check", "too_slow",
        ]
        return subprocess.run(command, cwd=work).returncode
    finally:
        mock.stop()


if __name__ == "__main__":
    sys.exit(main())
