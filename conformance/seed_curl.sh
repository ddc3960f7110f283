#!/usr/bin/env bash
# The curl example of the page this project grew from (../shared/seeds/000_…), byte for byte but
# for the host and a key after `key=`, against a running gemini-image-mock at $1. Prints the response.
set -euo pipefail
curl -s --fail-with-body --location -g --request POST "$1/v1beta/models/gemini-2.0-flash-exp-image-generation:generateContent?key=conformance-key" \
--header 'Content-Type: application/json' \
--data-raw '{
    "contents": [{
      "parts": [
        {"text": "Hi, can you create a 3d rendered image of a pig with wings and a top hat flying over a happy futuristic scifi city with lots of greenery?"}
      ]
    }],
    "generationConfig":{"responseModalities":["TEXT","IMAGE"]}
  }'
