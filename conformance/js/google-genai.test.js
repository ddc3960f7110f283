// Google's own JavaScript SDK (@google/genai) against gemini-image-mock: it must not tell the difference.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI, FinishReason } from '@google/genai';

const MOCK = process.env.GEMINI_MOCK_BIN ?? '../../target/debug/gemini-image-mock';
const IMAGE_MODEL = 'gemini-2.5-flash-image';

let server;
let url;
let ai;

before(async () => {
  server = spawn(MOCK, ['--addr', '127.0.0.1:0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  const lines = createInterface({ input: server.stdout });
  const first = await new Promise((resolve) => lines.once('line', resolve));
  url = first.split(/\s+/).find((word) => word.startsWith('http://127.0.0.1:'));
  ai = new GoogleGenAI({ apiKey: 'conformance-key', httpOptions: { baseUrl: url, apiVersion: 'v1beta' } });
});

after(() => server.kill());

beforeEach(async () => {
  await fetch(`${url}/__mock/reset`, { method: 'POST' });
});

async function enqueue(scenario) {
  await fetch(`${url}/__mock/scenarios`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ scenario }),
  });
}

async function journal() {
  return (await (await fetch(`${url}/__mock/requests`)).json()).requests;
}

/** Width and height from a PNG's IHDR chunk. */
function pngSize(base64) {
  const bytes = Buffer.from(base64, 'base64');
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

function imageParts(response) {
  return response.candidates[0].content.parts.filter((part) => part.inlineData && !part.thought);
}

test('generate text and an image at the asked size', async () => {
  const response = await ai.models.generateContent({
    model: IMAGE_MODEL,
    contents: 'a red bicycle',
    config: { responseModalities: ['TEXT', 'IMAGE'], imageConfig: { aspectRatio: '3:4' } },
  });
  const [image] = imageParts(response);
  assert.equal(image.inlineData.mimeType, 'image/png');
  assert.deepEqual(pngSize(image.inlineData.data), [864, 1184]);
  assert.match(response.text, /red bicycle/);
  assert.equal(response.candidates[0].finishReason, FinishReason.STOP);
});

test('edit an input image', async () => {
  const first = await ai.models.generateContent({
    model: IMAGE_MODEL,
    contents: 'a lighthouse',
    config: { responseModalities: ['TEXT', 'IMAGE'] },
  });
  const [input] = imageParts(first);
  const edited = await ai.models.generateContent({
    model: IMAGE_MODEL,
    contents: [{ inlineData: input.inlineData }, { text: 'make it black and white' }],
    config: { responseModalities: ['TEXT', 'IMAGE'] },
  });
  const [output] = imageParts(edited);
  assert.deepEqual(pngSize(output.inlineData.data), [1024, 1024]);
  assert.notEqual(output.inlineData.data, input.inlineData.data);
});

test('stream', async () => {
  const chunks = [];
  for await (const chunk of await ai.models.generateContentStream({
    model: IMAGE_MODEL,
    contents: 'a fox in the snow',
    config: { responseModalities: ['TEXT', 'IMAGE'] },
  })) {
    chunks.push(chunk);
  }
  assert.ok(chunks.length >= 2);
  const images = chunks.flatMap(imageParts);
  assert.equal(images.length, 1);
  assert.equal(chunks.at(-1).candidates[0].finishReason, FinishReason.STOP);
  const [sent] = await journal();
  assert.equal(sent.path, `/v1beta/models/${IMAGE_MODEL}:streamGenerateContent`);
  assert.equal(sent.query.alt, 'sse');
});

test('count tokens and list models', async () => {
  const counted = await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'hello there' });
  assert.ok(counted.totalTokens > 0);
  const names = [];
  const pager = await ai.models.list({ config: { pageSize: 3 } });
  for await (const model of pager) names.push(model.name);
  assert.ok(names.includes(`models/${IMAGE_MODEL}`));
  assert.ok(names.length > 3);
});

test('a 429 with its RetryInfo', async () => {
  await enqueue('rate_limit=2s');
  await assert.rejects(
    ai.models.generateContent({ model: IMAGE_MODEL, contents: 'x' }),
    (error) => {
      assert.equal(error.status, 429);
      assert.match(error.message, /RESOURCE_EXHAUSTED/);
      assert.match(error.message, /"retryDelay":"2s"/);
      return true;
    },
  );
});

test('an error in the middle of a stream is thrown', async () => {
  await enqueue('stream_error');
  const seen = [];
  await assert.rejects(async () => {
    for await (const chunk of await ai.models.generateContentStream({
      model: IMAGE_MODEL,
      contents: 'a storm',
      config: { responseModalities: ['TEXT', 'IMAGE'] },
    })) {
      seen.push(chunk);
    }
  }, (error) => {
    assert.match(String(error.message), /UNAVAILABLE|overloaded/);
    return true;
  });
  assert.ok(seen.length >= 1);
});
