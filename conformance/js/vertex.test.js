// Google's own JavaScript SDK (@google/genai) in Vertex AI mode against gemini-image-mock, started
// with `--bearer FAKE-TOKEN`: the project routes, the bearer token and quota project its auth
// client sends, the express mode's key, and Vertex's own fields and answers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI, FinishReason } from '@google/genai';
import { editAnInputImage, generateAtTheAskedSize, journal, useMock } from './mock.js';

const IMAGE_MODEL = 'gemini-3.1-flash-image';
const PROJECT_PATH = '/v1beta1/projects/my-proj/locations/us-central1/publishers/google/models';
const EXPRESS_PATH = '/v1beta1/publishers/google/models';

// The SDK reads project, location, keys and base URLs from the environment: none of the
// machine's may leak into these tests.
for (const name of Object.keys(process.env)) {
  if ((name.startsWith('GOOGLE_') || name.startsWith('GEMINI_')) && name !== 'GEMINI_MOCK_BIN') {
    delete process.env[name];
  }
}

/** An auth client that hands out a fixed token, as google-auth-library's clients do. */
function authClient(token) {
  return {
    getRequestHeaders: async () =>
      new Headers({ authorization: `Bearer ${token}`, 'x-goog-user-project': 'quota-proj' }),
  };
}

function vertex(url, token = 'FAKE-TOKEN') {
  return new GoogleGenAI({
    vertexai: true,
    project: 'my-proj',
    location: 'us-central1',
    httpOptions: { baseUrl: url },
    googleAuthOptions: { authClient: authClient(token) },
  });
}

let ai;
let express;
const mock = useMock(
  (url) => {
    ai = vertex(url);
    express = new GoogleGenAI({ vertexai: true, apiKey: 'express-key', httpOptions: { baseUrl: url } });
  },
  ['--bearer', 'FAKE-TOKEN'],
);

function imageParts(response) {
  return (response.candidates?.[0]?.content?.parts ?? []).filter((part) => part.inlineData && !part.thought);
}

test('generate an image with the bearer token and quota project', async () => {
  const response = await generateAtTheAskedSize(ai, IMAGE_MODEL);
  assert.ok(response.createTime);
  assert.equal(response.usageMetadata.trafficType, 'ON_DEMAND');
  const [sent] = await journal(mock);
  assert.equal(sent.path, `${PROJECT_PATH}/${IMAGE_MODEL}:generateContent`);
  assert.deepEqual(sent.backend, { api: 'vertex', project: 'my-proj', location: 'us-central1' });
  assert.equal(sent.userProject, 'quota-proj');
  assert.equal(sent.headers.authorization, '<redacted>');
  assert.ok(!JSON.stringify(await journal(mock)).includes('FAKE-TOKEN'));
});

test('another token is refused as Vertex refuses it', async () => {
  await assert.rejects(
    vertex(mock.url, 'someone-elses').models.generateContent({ model: IMAGE_MODEL, contents: 'x' }),
    (error) => error.status === 401 && /UNAUTHENTICATED/.test(error.message),
  );
});

test('edit an input image', () => editAnInputImage(ai, IMAGE_MODEL));

test('stream ends with Vertex\'s empty text chunk', async () => {
  const chunks = [];
  for await (const chunk of await ai.models.generateContentStream({
    model: IMAGE_MODEL,
    contents: 'a fox in the snow',
    config: { responseModalities: ['TEXT', 'IMAGE'] },
  })) {
    chunks.push(chunk);
  }
  assert.equal(chunks.flatMap(imageParts).length, 1);
  assert.equal(new Set(chunks.map((chunk) => chunk.createTime)).size, 1);
  const end = chunks.at(-1).candidates[0];
  assert.equal(end.finishReason, FinishReason.STOP);
  assert.equal(end.content.parts[0].text, '');
  const [sent] = await journal(mock);
  assert.equal(sent.path, `${PROJECT_PATH}/${IMAGE_MODEL}:streamGenerateContent`);
  assert.deepEqual(sent.query, { alt: 'sse' });
});

test('count tokens', async () => {
  const response = await ai.models.countTokens({ model: IMAGE_MODEL, contents: 'how many tokens is this' });
  assert.ok(response.totalTokens > 0);
  const [sent] = await journal(mock);
  assert.equal(sent.path, `${PROJECT_PATH}/${IMAGE_MODEL}:countTokens`);
});

test('models.get reads the publisher model', async () => {
  const model = await ai.models.get({ model: IMAGE_MODEL });
  assert.equal(model.name, `publishers/google/models/${IMAGE_MODEL}`);
  assert.equal(model.version, 'default');
  const [sent] = await journal(mock);
  assert.equal(sent.method, 'GET');
  assert.equal(sent.path, `${EXPRESS_PATH}/${IMAGE_MODEL}`);
  assert.equal(sent.userProject, 'quota-proj');
});

test('vertex-only image settings arrive on the wire', async () => {
  const response = await ai.models.generateContent({
    model: IMAGE_MODEL,
    contents: 'a portrait of a lighthouse keeper',
    config: {
      responseModalities: ['IMAGE'],
      imageConfig: { personGeneration: 'ALLOW_ADULT', outputMimeType: 'image/png' },
    },
  });
  const [image] = imageParts(response);
  assert.equal(image.inlineData.mimeType, 'image/png');
  const [sent] = await journal(mock);
  const config = sent.body.generationConfig.imageConfig;
  assert.equal(config.personGeneration, 'ALLOW_ADULT');
  assert.deepEqual(config.imageOutputOptions, { mimeType: 'image/png' });
});

test('express mode sends the key to the unprefixed path', async () => {
  const response = await express.models.generateContent({
    model: IMAGE_MODEL,
    contents: 'a paper boat',
    config: { responseModalities: ['IMAGE'] },
  });
  assert.equal(imageParts(response).length, 1);
  const [sent] = await journal(mock);
  assert.equal(sent.path, `${EXPRESS_PATH}/${IMAGE_MODEL}:generateContent`);
  assert.deepEqual(sent.backend, { api: 'vertex-express' });
  assert.equal(sent.headers['x-goog-api-key'], '<redacted>');
  assert.equal(sent.headers.authorization, undefined);
});
