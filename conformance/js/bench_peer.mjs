// @google/genai timed as a user calls it, for `cargo xtask bench`'s peers: `generateContent` on
// the bench's loopback server, the image's bytes in hand (the SDK leaves them base64). Prints
// the median nanoseconds per call as JSON. Run by the `unary_call` bench with the server's URL,
// a model and a count.
import { GoogleGenAI } from '@google/genai';

const [baseUrl, model, count] = process.argv.slice(2);
const ai = new GoogleGenAI({ apiKey: 'bench-key', httpOptions: { baseUrl, apiVersion: 'v1beta' } });
const times = [];
let image;
for (let i = 0; i < Number(count) + 2; i++) {
  const started = process.hrtime.bigint();
  const response = await ai.models.generateContent({ model, contents: 'a lighthouse at dusk' });
  const part = response.candidates[0].content.parts.find((p) => p.inlineData);
  image = Buffer.from(part.inlineData.data, 'base64');
  times.push(Number(process.hrtime.bigint() - started));
}
// The first two open the connection and warm the SDK.
const measured = times.slice(2).sort((a, b) => a - b);
const middle = measured.length >> 1;
const median = measured.length % 2 ? measured[middle] : (measured[middle - 1] + measured[middle]) / 2;
console.log(JSON.stringify({ median_ns: median, image_bytes: image.length }));
