// The model's share of the streaming ceiling: onnxruntime alone running as many Silero frames as the server ran in a
// window, in batches of the server's mean batch, at the rate the server's configuration runs Silero at. No copies
// of per-stream state, no batcher, no decimator: what inference itself costs, for bench/stream.mjs to set beside the
// bare `ws` server's CPU.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { benchServerEnv, DIST } from './support.mjs';

const require = createRequire(import.meta.url);

/** Percent of one core that `frames` frames of inference take when spread over `windowS` seconds. */
export async function onnxAloneCpuPercent({ frames, batch, windowS, dir }) {
  const ort = require('onnxruntime-node');
  const { SILERO_MODEL } = require(join(DIST, 'libs/vad/src/index.js'));
  const { loadConfigOrThrow } = require(join(DIST, 'libs/config/src/index.js'));
  const rate = loadConfigOrThrow(benchServerEnv(), dir).vad.sileroRate;
  const size = Math.max(1, Math.round(batch));
  const width = rate === 8000 ? 32 + 256 : 64 + 512;
  const session = await ort.InferenceSession.create(readFileSync(SILERO_MODEL.resolve()), {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  // Low-level noise, so the model runs on realistic values (not zeros).
  const input = Float32Array.from({ length: size * width }, (_, i) => Math.sin(i * 0.37) * 0.001);
  const feeds = {
    input: new ort.Tensor('float32', input, [size, width]),
    state: new ort.Tensor('float32', new Float32Array(2 * size * 128), [2, size, 128]),
    sr: new ort.Tensor('int64', BigInt64Array.from([BigInt(rate)]), []),
  };
  for (let i = 0; i < 20; i += 1) await session.run(feeds);
  const before = process.cpuUsage();
  for (let done = 0; done < frames; done += size) await session.run(feeds);
  const used = process.cpuUsage(before);
  await session.release();
  return { rate, batch: size, cpuPercent: Number((((used.user + used.system) / 1e6 / windowS) * 100).toFixed(1)) };
}
