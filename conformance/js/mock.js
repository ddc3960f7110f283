// What every suite of this directory needs (not itself a test file, so `node --test` does not
// run it): a real gemini-image-mock, started from the binary cargo built on a free loopback
// port, its admin API (reset, journal, scenarios, clock), and a JPEG's size without a decoder.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';

const MOCK = process.env.GEMINI_MOCK_BIN ?? '../../target/debug/gemini-image-mock';

/**
 * Starts a mock before the file's tests, stops it after them, and resets it before each; call it
 * at the top of a test file. `started(url)` runs once the mock is up, to build the file's
 * clients: Node 20 does not wait for one top-level `before` hook before the next. `args` are the
 * mock's own options (`['--batch-pace', 'manual']`).
 */
export function useMock(started = () => {}, args = []) {
  const mock = { url: undefined };
  let server;
  before(async () => {
    server = await startMock(args);
    mock.url = server.url;
    started(mock.url);
  });
  after(() => server.stop());
  beforeEach(() => admin(mock, 'POST', 'reset'));
  return mock;
}

/**
 * Starts a mock with `args` now (for a test that starts and stops mocks itself): `{ url, stop }`,
 * `stop()` resolving once the process has exited.
 */
export async function startMock(args = []) {
  const server = spawn(MOCK, ['--addr', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = createInterface({ input: server.stdout });
  const first = await new Promise((resolve) => lines.once('line', resolve));
  const url = first.split(/\s+/).find((word) => word.startsWith('http://127.0.0.1:'));
  // The mock goes on writing a line per request: read them, or a full pipe stalls it.
  lines.on('line', () => {});
  const exited = new Promise((resolve) => server.once('exit', resolve));
  return {
    url,
    stop: async () => {
      server.kill();
      await exited;
    },
  };
}

export async function admin(mock, method, path, body) {
  const init = { method };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const answer = await fetch(`${mock.url}/__mock/${path}`, init);
  assert.ok(answer.ok, `${method} /__mock/${path}: ${answer.status}`);
  const text = await answer.text();
  return text ? JSON.parse(text) : undefined;
}

/** The requests the mock has journaled since the last reset. */
export async function journal(mock) {
  return (await admin(mock, 'GET', 'requests')).requests;
}

/** Queues one of the mock's scenarios (`rate_limit=2s`, `stream_error`…) for the next request. */
export async function enqueue(mock, scenario) {
  await admin(mock, 'POST', 'scenarios', { scenario });
}

/** Moves the mock's clock forward (`5m`): files expire and background turns finish at once. */
export async function advanceClock(mock, by) {
  await admin(mock, 'POST', 'clock', { advance: by });
}

/**
 * Asks `ai` for text and a 3:4 image; checks both came, the image at its size. The answer.
 */
export async function generateAtTheAskedSize(ai, model) {
  const response = await ai.models.generateContent({
    model,
    contents: 'a red bicycle',
    config: { responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '3:4' } },
  });
  const [image] = response.candidates[0].content.parts.filter((part) => part.inlineData && !part.thought);
  assert.equal(image.inlineData.mimeType, 'image/jpeg');
  assert.deepEqual(jpegSize(image.inlineData.data), [896, 1200]);
  assert.match(response.text, /red bicycle/);
  assert.equal(response.candidates[0].finishReason, 'STOP');
  return response;
}

/**
 * Draws a lighthouse with `ai` and asks for it in black and white: the edit is a new picture of
 * the same size (Google's SDKs send the input image back inline).
 */
export async function editAnInputImage(ai, model) {
  const imageParts = (response) =>
    response.candidates[0].content.parts.filter((part) => part.inlineData && !part.thought);
  const first = await ai.models.generateContent({
    model,
    contents: 'a lighthouse',
    config: { responseModalities: ['TEXT', 'IMAGE'] },
  });
  const [input] = imageParts(first);
  const edited = await ai.models.generateContent({
    model,
    contents: [{ inlineData: input.inlineData }, { text: 'make it black and white' }],
    config: { responseModalities: ['TEXT', 'IMAGE'] },
  });
  const [output] = imageParts(edited);
  assert.deepEqual(jpegSize(output.inlineData.data), [1024, 1024]);
  assert.notEqual(output.inlineData.data, input.inlineData.data);
}

/** Width and height from a JPEG's start-of-frame segment. */
export function jpegSize(base64) {
  const bytes = Buffer.from(base64, 'base64');
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8]);
  let at = 2;
  while (at + 9 < bytes.length) {
    assert.equal(bytes[at], 0xff, `a JPEG marker at ${at}`);
    const marker = bytes[at + 1];
    const length = bytes.readUInt16BE(at + 2);
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return [bytes.readUInt16BE(at + 7), bytes.readUInt16BE(at + 5)];
    }
    at += 2 + length;
  }
  assert.fail('no start-of-frame segment');
}
