// The Vercel AI SDK (ai + @ai-sdk/google) against gemini-image-mock, as a new user would use it:
// `uploadFile` sends an image over Gemini's resumable protocol, then `generateText` with a Gemini
// image model edits it by its provider reference (a `fileData` part) — with no change to the SDK.
//
// What this SDK does differently from Google's, and the mock must take: the start's body carries
// no size and no MIME type (only `{"file": {"display_name": …}}`: they are in the
// X-Goog-Upload-Header-* headers); the whole file goes in one `upload, finalize` request at
// offset 0, whatever its size; and it posts to the X-Goog-Upload-URL as answered (it does not put
// its base URL in front, as Google's SDKs do), with no key and no Content-Type.

import { createHash, randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createGoogle } from '@ai-sdk/google';
import { generateText, uploadFile } from 'ai';
import { journal, useMock } from './mock.js';

const MIB = 1024 * 1024;

let google;
const mock = useMock((url) => {
  // The SDK's base URL includes the version (its default is Google's `…/v1beta`); the upload
  // goes to the same host's /upload/v1beta/files.
  google = createGoogle({ apiKey: 'conformance-key', baseURL: `${url}/v1beta` });
});

/** Google's `sha256Hash`: base64 of the lowercase hex digest. */
function googleSha256(bytes) {
  return Buffer.from(createHash('sha256').update(bytes).digest('hex')).toString('base64');
}

function crc32(bytes) {
  let crc = 0xffffffff;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A PNG of one colour, width x height, RGB. */
function png(width, height, [r, g, b]) {
  const chunk = (type, data) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([head, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bits per sample
  header[9] = 2; // RGB
  const row = Buffer.alloc(1 + 3 * width); // filter byte 0, then the pixels
  for (let x = 0; x < width; x++) row.set([r, g, b], 1 + 3 * x);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(Array(height).fill(row)))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Width and height from a JPEG's start-of-frame segment. */
function jpegSize(bytes) {
  assert.deepEqual([...bytes.subarray(0, 2)], [0xff, 0xd8]);
  let at = 2;
  while (at + 9 < bytes.length) {
    assert.equal(bytes[at], 0xff, `a JPEG marker at ${at}`);
    const marker = bytes[at + 1];
    // SOF0..SOF15, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      return [bytes.readUInt16BE(at + 7), bytes.readUInt16BE(at + 5)];
    }
    at += 2 + bytes.readUInt16BE(at + 2);
  }
  assert.fail('no start-of-frame segment');
}

test('uploadFile, then generateText edits the uploaded image by its reference', async () => {
  // 4:1, a ratio the model serves: the edit must come back 4:1, which it can only do if the
  // mock read the uploaded bytes (without an input image it draws 1:1).
  const image = png(64, 16, [200, 30, 30]);
  const uploaded = await uploadFile({
    api: google,
    data: new Uint8Array(image),
    mediaType: 'image/png',
    providerOptions: { google: { displayName: 'red strip' } },
  });
  const meta = uploaded.providerMetadata.google;
  assert.match(meta.name, /^files\/[a-z0-9]{12}$/);
  assert.equal(uploaded.providerReference.google, `https://generativelanguage.googleapis.com/v1beta/${meta.name}`);
  assert.equal(uploaded.mediaType, 'image/png');
  assert.equal(meta.displayName, 'red strip');
  assert.equal(meta.sizeBytes, String(image.length));
  assert.equal(meta.state, 'ACTIVE');
  assert.equal(meta.sha256Hash, googleSha256(image));

  const result = await generateText({
    model: google('gemini-3.1-flash-image'),
    messages: [
      {
        role: 'user',
        content: [
          { type: 'file', data: uploaded.providerReference, mediaType: 'image/png' },
          { type: 'text', text: 'make it black and white' },
        ],
      },
    ],
    providerOptions: { google: { responseModalities: ['TEXT', 'IMAGE'] } },
  });
  assert.equal(result.finishReason, 'stop');
  assert.match(result.text, /make it black and white/);
  const images = result.files.filter((file) => file.mediaType.startsWith('image/'));
  assert.equal(images.length, 1);
  assert.equal(images[0].mediaType, 'image/jpeg');
  const [width, height] = jpegSize(Buffer.from(images[0].uint8Array));
  assert.equal(width / height, 4);

  const sent = await journal(mock);
  const [start, chunk, generate] = sent;
  assert.equal(sent.length, 3);
  assert.equal(start.path, '/upload/v1beta/files');
  assert.deepEqual(start.body, { file: { display_name: 'red strip' } });
  assert.equal(start.headers['x-goog-upload-header-content-length'], String(image.length));
  assert.equal(start.headers['x-goog-upload-header-content-type'], 'image/png');
  assert.ok(chunk.query.upload_id);
  assert.equal(chunk.headers['x-goog-upload-command'], 'upload, finalize');
  assert.equal(chunk.headers['x-goog-api-key'], undefined);
  assert.equal(chunk.status, 200);
  assert.equal(generate.path, '/v1beta/models/gemini-3.1-flash-image:generateContent');
  assert.deepEqual(generate.body.contents[0].parts[0], {
    fileData: { mimeType: 'image/png', fileUri: uploaded.providerReference.google },
  });
});

test('uploadFile sends a file over 8 MiB as one finalizing request', async () => {
  const bytes = randomBytes(9 * MIB + 7);
  const uploaded = await uploadFile({
    api: google,
    data: new Uint8Array(bytes),
    mediaType: 'application/octet-stream',
  });
  const meta = uploaded.providerMetadata.google;
  assert.equal(meta.sizeBytes, String(bytes.length));
  assert.equal(meta.sha256Hash, googleSha256(bytes));
  assert.equal(meta.displayName, undefined);
  const sent = (await journal(mock)).filter((r) => r.path.startsWith('/upload/'));
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[0].body, { file: {} });
  assert.match(sent[1].bodyDescription, new RegExp(`^<${bytes.length} bytes, `));
});
