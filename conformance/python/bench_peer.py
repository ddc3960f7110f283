"""google-genai timed as a user calls it, for `cargo xtask bench`'s peers: `generate_content` on
the bench's loopback server, the image's bytes in hand. Prints the median nanoseconds per call
as JSON. Run by the `unary_call` bench with the server's URL, a model and a count."""

import json
import statistics
import sys
import time

from google import genai
from google.genai import types


def main():
    base_url, model, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
    client = genai.Client(
        api_key="bench-key",
        http_options=types.HttpOptions(base_url=base_url, api_version="v1beta"),
    )
    times = []
    for _ in range(calls + 2):
        started = time.perf_counter_ns()
        response = client.models.generate_content(model=model, contents="a lighthouse at dusk")
        image = next(p.inline_data.data for p in response.candidates[0].content.parts if p.inline_data)
        times.append(time.perf_counter_ns() - started)
        assert len(image) > 0
    # The first two open the connection and warm the SDK's caches.
    print(json.dumps({"median_ns": statistics.median(times[2:]), "image_bytes": len(image)}))


if __name__ == "__main__":
    main()
