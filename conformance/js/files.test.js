// The Files API through @google/genai against gemini-image-mock: `files.upload` over the resumable
// protocol (small, exactly 8 MiB, over 20 MB, empty), get / list / delete, and an edit from the
// uploaded image — with no change to the SDK.

import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI, createPartFromUri } from '@google/genai';
import { journal, useMock } from './mock.js';

const MIB = 1024 * 1024;
const dir = mkdtempSync(join(tmpdir(), 'gemini-files-'));

let ai;
const mock = useMock((url) => {
  ai = new GoogleGenAI({ apiKey: 'conformance-key', httpOptions: { baseUrl: url } });
});

/** Google's `sha256Hash`: base64 of the lowercase hex digest. */
function googleSha256(bytes) {
  return Buffer.from(createHash('sha256').update(bytes).digest('hex')).toString('base64');
}

for (const size of [5, 8 * MIB, 20 * MIB + 123]) {
  test(`upload ${size} bytes`, async () => {
    const bytes = randomBytes(size);
    const path = join(dir, `blob-${size}.bin`);
    writeFileSync(path, bytes);
    const file = await ai.files.upload({
      file: path,
      config: { mimeType: 'application/octet-stream', displayName: 'Blob' },
    });
    assert.match(file.name, /^files\/[a-z0-9]{12}$/);
    assert.equal(file.sizeBytes, String(size));
    assert.equal(file.state, 'ACTIVE');
    assert.equal(file.source, 'UPLOADED');
    assert.equal(file.sha256Hash, googleSha256(bytes));
    const sent = (await journal(mock)).filter((r) => r.path.startsWith('/upload/'));
    // The default API version is v1; then one request per 8 MiB chunk.
    assert.equal(sent[0].path, '/upload/v1/files');
    assert.equal(sent.length - 1, Math.ceil(size / (8 * MIB)));
    const again = await ai.files.get({ name: file.name });
    assert.equal(again.sha256Hash, file.sha256Hash);
  });
}

test('an empty file fails in the SDK, as against Google (it sends no chunk)', async () => {
  const path = join(dir, 'empty.bin');
  writeFileSync(path, Buffer.alloc(0));
  await assert.rejects(ai.files.upload({ file: path, config: { mimeType: 'application/octet-stream' } }));
});

test('get, list and delete', async () => {
  const names = [];
  for (const n of [0, 1, 2]) {
    const path = join(dir, `note-${n}.txt`);
    writeFileSync(path, `note ${n}`);
    names.push((await ai.files.upload({ file: path })).name);
  }
  const listed = [];
  for await (const file of await ai.files.list({ config: { pageSize: 2 } })) listed.push(file.name);
  assert.deepEqual(listed.sort(), [...names].sort());
  await ai.files.delete({ name: names[0] });
  await assert.rejects(ai.files.get({ name: names[0] }), (error) => {
    assert.equal(error.status, 403);
    assert.match(error.message, /PERMISSION_DENIED/);
    assert.ok(error.message.includes(`You do not have permission to access the File ${names[0].slice(6)} or it may not exist.`));
    return true;
  });
});

test('an edit from an uploaded image', async () => {
  // A 1x1 PNG.
  const png = Buffer.from(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC',
    'base64',
  );
  const path = join(dir, 'red.png');
  writeFileSync(path, png);
  const file = await ai.files.upload({ file: path });
  assert.equal(file.mimeType, 'image/png');
  const response = await ai.models.generateContent({
    model: 'gemini-3.1-flash-image',
    contents: [createPartFromUri(file.uri, file.mimeType), 'make it black and white'],
    config: { responseModalities: ['TEXT', 'IMAGE'] },
  });
  const images = response.candidates[0].content.parts.filter((p) => p.inlineData && !p.thought);
  assert.equal(images.length, 1);
  const sent = (await journal(mock)).filter((r) => r.path.endsWith(':generateContent'));
  assert.equal(sent.at(-1).body.contents[0].parts[0].fileData.fileUri, file.uri);
});
