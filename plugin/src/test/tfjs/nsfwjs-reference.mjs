// The independent reference for NsfwjsTfjsTest: what @tensorflow/tfjs (pure-JS CPU backend)
// computes with the two nsfwjs 4.4.0 TF.js layers models of ../shared/fixtures for the exact
// input tensors Kiln's test wrote (so photo decoding cannot differ): per photo the pooled trunk
// features (global average of mixed10 / out_relu) and the models' own 5-class outputs.
//
// Regenerate (from plugin/):
//   mvn -o test -Dtest=NsfwjsTfjsTest -Dkiln.tfjs.inputs=/tmp/tfjs-inputs   # writes the inputs
//   (cd src/test/tfjs && npm install && node nsfwjs-reference.mjs /tmp/tfjs-inputs \
//       ../../../../../shared/fixtures/backbones/nsfwjs_4.4.0_tfjs) \
//       > src/test/resources/dev/kiln/maven/backbone/nsfwjs-tfjs-reference.json
import * as tf from '@tensorflow/tfjs';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const [inputs, fixtures] = process.argv.slice(2);
if (!inputs || !fixtures) {
  console.error('usage: node nsfwjs-reference.mjs <inputs folder> <nsfwjs_4.4.0_tfjs folder>');
  process.exit(2);
}
await tf.setBackend('cpu');

/** Loads model.json and its shards; the fixture's shards are saved with a ".bin" the manifest lacks. */
function files(dir) {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      const specs = [];
      const buffers = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          const file = path.join(dir, p);
          buffers.push(fs.readFileSync(fs.existsSync(file) ? file : file + '.bin'));
        }
      }
      const all = Buffer.concat(buffers);
      return {
        modelTopology: json.modelTopology,
        weightSpecs: specs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
      };
    },
  };
}

const models = {inception_v3: 'mixed10', mobilenet_v2: 'out_relu'};
const photos = JSON.parse(fs.readFileSync(path.join(inputs, 'inputs.json'), 'utf8'));
const round = (values) => Array.from(values, (v) => Number(v.toPrecision(9)));
const out = {
  generatedBy: `@tensorflow/tfjs ${tf.version.tfjs}, backend ${tf.getBackend()}, nsfwjs-reference.mjs`,
  input: 'NHWC float32 RGB 0..255 (sha256 of its little-endian bytes), then x / 127.5 - 1',
  models: {},
};
for (const [name, cut] of Object.entries(models)) {
  const model = await tf.loadLayersModel(files(path.join(fixtures, name)));
  const size = model.inputs[0].shape[1];
  const trunk = tf.model({inputs: model.inputs, outputs: model.getLayer(cut).output});
  const results = [];
  for (const photo of photos.filter((p) => p.size === size)) {
    const bytes = fs.readFileSync(path.join(inputs, photo.file));
    const pixels = new Float32Array(bytes.buffer.slice(bytes.byteOffset,
        bytes.byteOffset + bytes.byteLength));
    const x = tf.tidy(() => tf.tensor4d(pixels, [1, size, size, 3]).div(127.5).sub(1));
    const pooled = tf.tidy(() => trunk.predict(x).mean([1, 2]));
    const classes = model.predict(x);
    results.push({
      photo: photo.photo,
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      classes: round(await classes.data()),
      pooled: round(await pooled.data()),
    });
    tf.dispose([x, pooled, classes]);
  }
  out.models[name] = {size, cut, photos: results};
}
// each list of numbers on one line: small diffs when regenerated
const text = JSON.stringify(out, (key, value) => Array.isArray(value)
    && typeof value[0] === 'number' ? JSON.stringify(value) : value, 1);
process.stdout.write(text.replace(/"(\[[^"]*\])"/g, '$1') + '\n');
