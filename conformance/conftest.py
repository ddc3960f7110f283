"""Fixtures: real gemini-image-mock servers, started from the binary cargo built, on free loopback ports."""

import json
import os
import subprocess
import threading
import urllib.request

import pytest

MOCK = os.environ.get("GEMINI_MOCK_BIN", "target/debug/gemini-image-mock")


class Mock:
    """A running gemini-image-mock and its admin API."""

    def __init__(self, *args):
        self.process = subprocess.Popen(
            [MOCK, "--addr", "127.0.0.1:0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.process.stdout.readline()
        self.url = next(w for w in line.split() if w.startswith("http://127.0.0.1:"))
        # The mock goes on writing a line per request: read them, or a full pipe stalls it.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()

    def admin(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/__mock/{path}", data=data, method=method,
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            text = response.read()
            return json.loads(text) if text else None

    def enqueue(self, scenario, times=1):
        self.admin("POST", "scenarios", {"scenario": scenario, "times": times})

    def requests(self):
        return self.admin("GET", "requests")["requests"]

    def reset(self):
        self.admin("POST", "reset")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture(scope="session")
def mock():
    # Vertex AI's routes take only this token (test_vertex.py); the Gemini API's are unaffected.
    server = Mock("--bearer", "FAKE-TOKEN")
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def fresh(mock):
    mock.reset()


@pytest.fixture(scope="session")
def legacy_mock():
    """A mock that also serves the models Google has shut down, as they behaved."""
    server = Mock("--legacy-models")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def manual_batch_mock():
    """A mock whose batches run no line until a test releases them: every state can be seen."""
    server = Mock("--batch-pace", "manual")
    yield server
    server.stop()


@pytest.fixture
def manual_mock(manual_batch_mock):
    manual_batch_mock.reset()
    return manual_batch_mock


@pytest.fixture(scope="session")
def keyed_mock():
    server = Mock("--api-key", "the-only-key")
    yield server
    server.stop()
