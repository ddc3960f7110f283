// Google's own JavaScript SDK (@google/genai) against gemini-image-mock: it must not tell the difference.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI, FinishReason } from '@google/genai';
import { editAnInputImage, generateAtTheAskedSize, enqueue, journal, jpegSize, useMock } from './mock.js';

const IMAGE_MODEL = 'gemini-3.1-flash-image';
const TEXT_MODEL = 'gemini-3.5-flash';

let ai;
const mock = useMock((url) => {
  ai = new GoogleGenAI({ apiKey: 'conformance-key', httpOptions: { baseUrl: url, apiVersion: 'v1beta' } });
});

const RETIRED = ['gemini-2.5-flash-image', 'gemini-3.1-flash-image-preview', 'imagen-4.0-generate-001'];

function imageParts(response) {
  return response.candidates[0].content.parts.filter((part) => part.inlineData && !part.thought);
}

test('generate text and an image at the asked size', () => generateAtTheAskedSize(ai, IMAGE_MODEL));

test('edit an input image', () => editAnInputImage(ai, IMAGE_MODEL));

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
  const [sent] = await journal(mock);
  assert.equal(sent.path, `/v1beta/models/${IMAGE_MODEL}:streamGenerateContent`);
  assert.equal(sent.query.alt, 'sse');
});

test('the extreme ratios and the 512 size', async () => {
  const response = await ai.models.generateContent({
    model: IMAGE_MODEL,
    contents: 'a banner of a mountain range',
    config: { responseModalities: ['IMAGE'], imageConfig: { aspectRatio: '4:1', imageSize: '512' } },
  });
  const [image] = imageParts(response);
  assert.deepEqual(jpegSize(image.inlineData.data), [1024, 256]);
});

test('count tokens and list models: the live ones, not the retired', async () => {
  const counted = await ai.models.countTokens({ model: TEXT_MODEL, contents: 'hello there' });
  assert.ok(counted.totalTokens > 0);
  const names = [];
  const pager = await ai.models.list({ config: { pageSize: 3 } });
  for await (const model of pager) names.push(model.name);
  for (const live of [IMAGE_MODEL, 'gemini-3-pro-image', 'gemini-3.1-flash-lite-image']) {
    assert.ok(names.includes(`models/${live}`), live);
  }
  for (const retired of RETIRED) assert.ok(!names.includes(`models/${retired}`), retired);
  assert.ok(names.length > 3);
});

test('a retired model is refused with Google\'s text', async () => {
  for (const model of RETIRED.slice(0, 2)) {
    await assert.rejects(
      ai.models.generateContent({ model, contents: 'a cat' }),
      (error) => {
        assert.equal(error.status, 404);
        assert.ok(
          error.message.includes(
            `models/${model} is not found for API version v1beta, or is not supported for generateContent. ` +
              'Call ListModels to see the list of available models and their supported methods.',
          ),
          error.message,
        );
        assert.match(error.message, /NOT_FOUND/);
        return true;
      },
    );
  }
});

test('a 429 with its RetryInfo', async () => {
  await enqueue(mock, 'rate_limit=2s');
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
  await enqueue(mock, 'stream_error');
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
