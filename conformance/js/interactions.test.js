// The Interactions API through @google/genai 3.3.0 against gemini-image-mock, with no change to the
// SDK: `ai.interactions.create / get / delete / cancel` — an image at the asked size, an edit of an
// input image (a flat content list, sent as is: this SDK does not wrap it into a `user_input`
// step as the Python one does), a chained edit by `previous_interaction_id`, a stream,
// `store: false`, `background: true` then `cancel`, the stored timeline, and the Interactions
// error shape (a string `code` slug) as the SDK's own errors — on `v1` (the default) and `v1beta`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { advanceClock, enqueue, journal, jpegSize, useMock } from './mock.js';

const IMAGE_MODEL = 'gemini-3.1-flash-image';
// Small images where the test is not about size: the tests stay fast.
const SMALL = { type: 'image', aspect_ratio: '1:1', image_size: '512' };
// A 1x1 red PNG.
const RED_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC';
const VERSIONS = [undefined, 'v1beta'];
const KNOWN_EVENTS = new Set([
  'interaction.created',
  'interaction.status_update',
  'step.start',
  'step.delta',
  'step.stop',
  'interaction.completed',
]);

const mock = useMock();

/** A create's parameters for a small image of `input`, with `more` parameters. */
function small(input, more = {}) {
  return { model: IMAGE_MODEL, input, response_format: SMALL, ...more };
}

/** @google/genai against the mock; no `apiVersion` keeps the SDK's default (v1). */
function client(apiVersion) {
  const httpOptions = { baseUrl: mock.url };
  if (apiVersion) httpOptions.apiVersion = apiVersion;
  return new GoogleGenAI({ apiKey: 'conformance-key', httpOptions });
}

async function interactionRequests() {
  return (await journal(mock)).filter((r) => r.path.includes('/interactions'));
}

/** Every image block carrying bytes (`{type: 'image', data: …}`) inside a JSON value. */
function imageData(value) {
  if (Array.isArray(value)) return value.flatMap(imageData);
  if (value && typeof value === 'object') {
    const own = value.type === 'image' && 'data' in value ? [value] : [];
    return own.concat(Object.values(value).flatMap(imageData));
  }
  return [];
}

/** The Interactions error shape: a string slug for `code`, a message, and no `status`. */
function assertInteractionsError(error, constructor, status, code) {
  assert.ok(error instanceof Error);
  assert.equal(error.constructor.name, constructor);
  assert.equal(error.status, status);
  assert.equal(error.error?.error?.code, code, JSON.stringify(error.error));
  assert.equal(typeof error.error.error.message, 'string');
  assert.equal(error.error.error.status, undefined);
  return true;
}

for (const version of VERSIONS) {
  test(`an image at the asked size (${version ?? 'default v1'})`, async () => {
    const interaction = await client(version).interactions.create({
      model: IMAGE_MODEL,
      input: 'a red bicycle leaning on a wall',
      response_format: { type: 'image', aspect_ratio: '16:9', image_size: '2K' },
    });
    assert.equal(interaction.status, 'completed');
    assert.ok(interaction.id);
    assert.equal(interaction.output_image.mime_type, 'image/jpeg');
    // generateContent's size for 16:9 at 2K (see the Python test, which compares the two).
    assert.deepEqual(jpegSize(interaction.output_image.data), [2752, 1536]);
    const kinds = interaction.steps.map((step) => step.type);
    assert.ok(!kinds.includes('user_input'));
    assert.equal(kinds.at(-1), 'model_output');
    const [sent] = await interactionRequests();
    assert.equal(sent.path, `/${version ?? 'v1'}/interactions`);
    assert.equal(sent.status, 200);
  });

  test(`an edit sends the content list as is (${version ?? 'default v1'})`, async () => {
    const interaction = await client(version).interactions.create({
      model: IMAGE_MODEL,
      input: [
        { type: 'text', text: 'make it black and white' },
        { type: 'image', data: RED_PNG, mime_type: 'image/png' },
      ],
      response_format: SMALL,
    });
    assert.equal(interaction.status, 'completed');
    assert.deepEqual(jpegSize(interaction.output_image.data), [512, 512]);
    const [sent] = await interactionRequests();
    assert.deepEqual(
      sent.body.input.map((block) => block.type),
      ['text', 'image'],
    );
    // The journal shows image data by its decoded size: the mock read the standard base64.
    const size = Buffer.from(RED_PNG, 'base64').length;
    assert.match(sent.body.input[1].data, new RegExp(`^<${size} bytes, xxh3 [0-9a-f]{16}>$`));
  });

  test(`get returns the whole timeline (${version ?? 'default v1'})`, async () => {
    const ai = client(version);
    const created = await ai.interactions.create(small('a blue teapot'));
    const stored = await ai.interactions.get(created.id);
    assert.equal(stored.id, created.id);
    assert.equal(stored.status, 'completed');
    assert.equal(stored.steps[0].type, 'user_input');
    assert.deepEqual(stored.steps[0].content, [{ type: 'text', text: 'a blue teapot' }]);
    assert.deepEqual(
      stored.steps.slice(1).map((s) => s.type),
      created.steps.map((s) => s.type),
    );
    assert.equal(stored.output_image.data, created.output_image.data);
    const get = (await interactionRequests()).at(-1);
    assert.equal(get.method, 'GET');
    assert.equal(get.path, `/${version ?? 'v1'}/interactions/${created.id}`);
  });

  test(`delete, then get is NotFoundError (${version ?? 'default v1'})`, async () => {
    const ai = client(version);
    const created = await ai.interactions.create(small('a cat'));
    await ai.interactions.delete(created.id);
    await assert.rejects(ai.interactions.get(created.id), (error) =>
      assertInteractionsError(error, 'NotFoundError', 404, 'not_found'),
    );
  });

  test(`a bad request is BadRequestError (${version ?? 'default v1'})`, async () => {
    await assert.rejects(
      client(version).interactions.create({
        model: IMAGE_MODEL,
        input: 'a banner',
        response_format: { type: 'image', aspect_ratio: '7:3' },
      }),
      (error) => assertInteractionsError(error, 'BadRequestError', 400, 'invalid_request'),
    );
  });
}

test('a step list is accepted as well', async () => {
  const interaction = await client().interactions.create({
    model: IMAGE_MODEL,
    input: [
      {
        type: 'user_input',
        content: [
          { type: 'text', text: 'make it black and white' },
          { type: 'image', data: RED_PNG, mime_type: 'image/png' },
        ],
      },
    ],
    response_format: SMALL,
  });
  assert.equal(interaction.status, 'completed');
  assert.deepEqual(jpegSize(interaction.output_image.data), [512, 512]);
});

test('a chained edit sends no image', async () => {
  const ai = client();
  const first = await ai.interactions.create({
    model: IMAGE_MODEL,
    input: [
      { type: 'text', text: 'a flower in a pot' },
      { type: 'image', data: RED_PNG, mime_type: 'image/png' },
    ],
    response_format: SMALL,
  });
  const second = await ai.interactions.create({
    model: IMAGE_MODEL,
    input: 'make it black and white',
    previous_interaction_id: first.id,
    response_format: SMALL,
  });
  assert.equal(second.status, 'completed');
  assert.ok(second.id && second.id !== first.id);
  assert.deepEqual(jpegSize(second.output_image.data), [512, 512]);
  const sent = await interactionRequests();
  assert.equal(imageData(sent[0].body).length, 1);
  assert.equal(sent[1].body.previous_interaction_id, first.id);
  assert.deepEqual(imageData(sent[1].body), []);
});

test('a stream carries the image in a step.delta', async () => {
  const stream = await client().interactions.create(small('a fox in the snow', { stream: true }));
  const events = [];
  for await (const event of stream) events.push(event); // ends: the SDK saw the stream's end
  const kinds = events.map((e) => e.event_type);
  assert.equal(kinds[0], 'interaction.created');
  assert.equal(kinds.at(-1), 'interaction.completed');
  assert.ok(kinds.every((kind) => KNOWN_EVENTS.has(kind)), kinds.join());
  assert.ok(kinds.indexOf('step.start') < kinds.indexOf('step.delta'));
  assert.ok(kinds.indexOf('step.delta') < kinds.lastIndexOf('step.stop'));
  assert.equal(events[0].interaction.status, 'in_progress');
  const completed = events.at(-1).interaction;
  assert.equal(completed.status, 'completed');
  assert.ok(completed.id);
  assert.equal(completed.id, events[0].interaction.id);
  const images = events.filter((e) => e.event_type === 'step.delta' && e.delta.type === 'image');
  assert.equal(images.length, 1);
  assert.deepEqual(jpegSize(images[0].delta.data), [512, 512]);
  const [sent] = await interactionRequests();
  assert.equal(sent.body.stream, true);
  assert.equal(sent.headers.accept, 'text/event-stream');
});

test('store: false has no id', async () => {
  const ai = client();
  const interaction = await ai.interactions.create(small('a lighthouse', { store: false }));
  assert.equal(interaction.status, 'completed');
  assert.equal(interaction.id, undefined);
  assert.deepEqual(jpegSize(interaction.output_image.data), [512, 512]);
  const events = [];
  const stream = await ai.interactions.create(small('a lighthouse', { store: false, stream: true }));
  for await (const event of stream) events.push(event);
  assert.equal(events[0].interaction.id, '');
  assert.equal(events.at(-1).interaction.status, 'completed');
});

test('background, then cancel', async () => {
  const ai = client();
  const started = await ai.interactions.create(small('a slow sunset', { background: true }));
  assert.ok(started.id);
  // The mock's background turn takes a second: the cancel comes well before.
  assert.equal(started.status, 'in_progress');
  const cancelled = await ai.interactions.cancel(started.id);
  assert.equal(cancelled.id, started.id);
  assert.equal(cancelled.status, 'cancelled');
  await advanceClock(mock, '5m');
  assert.equal((await ai.interactions.get(started.id)).status, 'cancelled');
  const cancel = (await interactionRequests()).at(-2);
  assert.equal(cancel.method, 'POST');
  assert.equal(cancel.path, `/v1/interactions/${started.id}/cancel`);
});

test('background is polled until completed', async () => {
  const ai = client();
  const started = await ai.interactions.create(small('a harbour at dawn', { background: true }));
  assert.equal(started.status, 'in_progress');
  assert.equal(started.output_image, undefined);
  await advanceClock(mock, '5m');
  const done = await ai.interactions.get(started.id);
  assert.equal(done.status, 'completed');
  assert.deepEqual(jpegSize(done.output_image.data), [512, 512]);
});

test('background without store is BadRequestError', async () => {
  await assert.rejects(
    client().interactions.create({ model: IMAGE_MODEL, input: 'x', background: true, store: false }),
    (error) => assertInteractionsError(error, 'BadRequestError', 400, 'invalid_request'),
  );
});

test('an unknown previous interaction is NotFoundError', async () => {
  // What Google answers is unconfirmed; the mock's decision is 404 `not_found`.
  await assert.rejects(
    client().interactions.create({
      model: IMAGE_MODEL,
      input: 'again',
      previous_interaction_id: 'v1_nothing_here',
    }),
    (error) => assertInteractionsError(error, 'NotFoundError', 404, 'not_found'),
  );
});

test('get with stream replays the events', async () => {
  const ai = client();
  const created = await ai.interactions.create(small('a kite'));
  const events = [];
  for await (const event of await ai.interactions.get(created.id, { stream: true })) events.push(event);
  const kinds = events.map((e) => e.event_type);
  assert.equal(kinds[0], 'interaction.created');
  assert.equal(kinds.at(-1), 'interaction.completed');
  assert.equal(events.at(-1).interaction.id, created.id);
  const images = events.filter((e) => e.event_type === 'step.delta' && e.delta.type === 'image');
  assert.equal(images.length, 1);
  assert.equal(images[0].delta.data, created.output_image.data);
  const get = (await interactionRequests()).at(-1);
  assert.equal(get.method, 'GET');
  assert.equal(get.query.stream, 'true');
});

// This SDK makes five attempts on 429 and 5xx whatever `httpOptions.retryOptions` says; a call's
// own `retries` option is honoured.
const NO_RETRIES = { retries: { strategy: 'none' } };

for (const [scenario, constructor, status, code] of [
  ['rate_limit', 'RateLimitError', 429, 'resource_exhausted'],
  ['overloaded', 'InternalServerError', 503, 'unavailable'],
]) {
  test(`the mock's ${scenario} is ${constructor}`, async () => {
    await enqueue(mock, scenario);
    await assert.rejects(
      client().interactions.create(small('x'), NO_RETRIES),
      (error) => assertInteractionsError(error, constructor, status, code),
    );
  });
}

test('an error in a stream is an error event', async () => {
  await enqueue(mock, 'stream_error');
  const events = [];
  const stream = await client().interactions.create(small('x', { stream: true }));
  for await (const event of stream) events.push(event);
  assert.equal(events[0].event_type, 'interaction.created');
  assert.equal(events.at(-1).event_type, 'error');
  assert.equal(events.at(-1).error.code, 'unavailable');
  assert.ok(!events.some((e) => e.event_type === 'interaction.completed'));
});

test('a blocked image is a failed interaction', async () => {
  await enqueue(mock, 'image_safety');
  const interaction = await client().interactions.create(small('x'));
  assert.equal(interaction.status, 'failed');
  assert.equal(interaction.output_image, undefined);
  assert.deepEqual(
    interaction.errors.map((e) => e.code),
    ['content_blocked'],
  );
});
