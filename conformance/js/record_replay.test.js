// Record once, replay offline, through @google/genai with no change to the SDK: a plain mock is
// "Google" (the upstream), a second one records it (`--record DIR --upstream URL`); both are
// stopped and a third replays the directory (`--replay DIR`). Every call made while recording —
// an image, a stream, an edit of an image, a retired model's 404, a Files upload and get, a batch
// polled to its end — must give the SDK exactly what it gave then; a changed prompt must surface,
// through the SDK's own error, the miss naming the nearest recording and what differs; the key
// must be in no byte of the directory.

import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { startMock } from './mock.js';

const IMAGE_MODEL = 'gemini-3.1-flash-image';
const RETIRED_MODEL = 'gemini-2.5-flash-image';
// Distinctive enough that finding it in a recording means it leaked.
const KEY = 'AIzaSy-conformance-record-replay-js-0123456789';

const client = (url) => new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: url } });

/** What a caller reads of an answer: its texts and its images' bytes, in order. */
function partsOf(response) {
  return (response.candidates ?? []).flatMap((candidate) =>
    (candidate.content?.parts ?? []).flatMap((part) => [
      ...(part.text !== undefined ? [['text', part.text, Boolean(part.thought)]] : []),
      ...(part.inlineData ? [['image', part.inlineData.mimeType, part.inlineData.data]] : []),
    ]),
  );
}

async function errorOf(call) {
  try {
    await call();
  } catch (error) {
    return [error.constructor.name, error.status, error.message];
  }
  assert.fail('the call succeeded');
}

/** The calls a test suite makes, and what the SDK gave back for each. */
async function session(ai, uploadPath) {
  const seen = {};
  const config = { responseModalities: ['TEXT', 'IMAGE'] };
  seen.generate = partsOf(
    await ai.models.generateContent({ model: IMAGE_MODEL, contents: 'a red bicycle', config }),
  );
  const image = seen.generate.find((part) => part[0] === 'image');
  seen.stream = [];
  for await (const chunk of await ai.models.generateContentStream({
    model: IMAGE_MODEL,
    contents: 'a lighthouse at dusk',
    config,
  })) {
    seen.stream.push(partsOf(chunk));
  }
  seen.edit = partsOf(
    await ai.models.generateContent({
      model: IMAGE_MODEL,
      contents: [{ inlineData: { mimeType: image[1], data: image[2] } }, { text: 'in black and white' }],
    }),
  );
  seen.retired = await errorOf(() => ai.models.generateContent({ model: RETIRED_MODEL, contents: 'a cat' }));
  const uploaded = await ai.files.upload({ file: uploadPath, config: { mimeType: 'text/plain' } });
  const got = await ai.files.get({ name: uploaded.name });
  seen.file = [uploaded, got];
  let job = await ai.batches.create({
    model: IMAGE_MODEL,
    src: [{ contents: [{ parts: [{ text: 'a kite' }], role: 'user' }], config: { responseModalities: ['IMAGE'] } }],
  });
  for (let polls = 0; polls < 200 && job.state !== 'JOB_STATE_SUCCEEDED'; polls++) {
    job = await ai.batches.get({ name: job.name });
  }
  assert.equal(job.state, 'JOB_STATE_SUCCEEDED');
  seen.batch = [job.name, job.dest.inlinedResponses.map((r) => partsOf(r.response))];
  return seen;
}

function* everyFile(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* everyFile(path);
    else yield path;
  }
}

test('@google/genai gets on replay what it got while recording', async () => {
  const work = mkdtempSync(join(tmpdir(), 'gemini-record-js-'));
  const recordings = join(work, 'recordings');
  const notes = join(work, 'notes.txt');
  writeFileSync(notes, 'recorded once, replayed for ever\n');

  const upstream = await startMock();
  const recorder = await startMock(['--record', recordings, '--upstream', upstream.url]);
  let recorded;
  try {
    recorded = await session(client(recorder.url), notes);
  } finally {
    await recorder.stop();
    await upstream.stop();
  }
  assert.ok(recorded.generate.some((part) => part[0] === 'image'));
  assert.ok(recorded.stream.flat().some((part) => part[0] === 'image'));
  assert.equal(recorded.retired[1], 404);

  for (const path of everyFile(recordings)) {
    assert.ok(!readFileSync(path).includes(KEY), `the key leaked into ${path}`);
  }

  const replaying = await startMock(['--replay', recordings]);
  try {
    const ai = client(replaying.url);
    const replayed = await session(ai, notes);
    // The HTTP head the SDK keeps (its date) is not what a caller reads.
    const read = (value) => JSON.parse(JSON.stringify(value, (k, v) => (k === 'sdkHttpResponse' ? undefined : v)));
    for (const call of Object.keys(recorded)) {
      assert.deepEqual(read(replayed[call]), read(recorded[call]), call);
    }
    await assert.rejects(
      ai.models.generateContent({
        model: IMAGE_MODEL,
        contents: 'a blue bicycle',
        config: { responseModalities: ['TEXT', 'IMAGE'] },
      }),
      (error) => {
        assert.equal(error.status, 400);
        assert.match(error.message, /FAILED_PRECONDITION/);
        assert.ok(error.message.includes(recordings), error.message);
        assert.match(error.message, /generateContent\.json/);
        // The SDK puts the error's JSON in its message: the diff's quotes come escaped.
        assert.ok(error.message.includes('recorded \\"a red bicycle\\", requested \\"a blue bicycle\\"'), error.message);
        return true;
      },
    );
    const listing = await (await fetch(`${replaying.url}/__mock/recordings`)).json();
    assert.equal(listing.mode, 'replay');
    assert.ok(listing.recordings.every((r) => r.hits >= 1), JSON.stringify(listing.recordings));
    assert.equal(listing.misses.length, 1);
  } finally {
    await replaying.stop();
  }
});
