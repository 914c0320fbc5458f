// Same model, same kind of tensor, same rounds as RuntimeBenchmark (Java). Prints one line per batch.
import * as ort from 'onnxruntime-node';

const model = process.argv[2];
const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all' });
const input = session.inputNames[0];
const ROUNDS = 5;
for (const batch of [1, 16]) {
  const data = new Float32Array(batch * 3 * 224 * 224);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 7919) % 255) / 255 - 0.45;
  const iterations = batch === 1 ? 400 : 40;
  const times = [];
  for (let round = -1; round < ROUNDS; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) {
      const feeds = { [input]: new ort.Tensor('float32', data, [batch, 3, 224, 224]) };
      await session.run(feeds);
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6 / iterations;
    if (round >= 0) times.push(ms);
  }
  times.sort((a, b) => a - b);
  const m = times[Math.floor(times.length / 2)];
  console.log(`node onnxruntime-node ${ort.env.versions?.common ?? ''} batch ${String(batch).padStart(2)}: ${m.toFixed(3)} ms/call (${(batch * 1000 / m).toFixed(0)} img/s)`);
}
