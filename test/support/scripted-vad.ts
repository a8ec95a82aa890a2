import { TARGET_SAMPLE_RATE } from '@asr/audio';
import { FRAME_SAMPLES, type VadBackend, type VadFrame, type VadStreamState } from '@asr/vad';

/**
 * A VAD backend whose speech probabilities the test writes into the audio itself: a frame's probability is its
 * largest absolute sample. `scriptedAudio` builds such audio from a list of probabilities, so the script travels
 * with the samples through decoders, batchers and lookback buffers, and several streams can share one backend.
 * Strict: it counts the states it handed out and refuses frames of a state it released or never made.
 */
export class ScriptedVadBackend implements VadBackend {
  readonly name = 'energy' as const;
  framesInferred = 0;
  batches = 0;
  closed = false;
  private readonly live = new Set<VadStreamState>();

  constructor(private readonly delayMs = 0) {}

  get openStates(): number {
    return this.live.size;
  }

  newState(): VadStreamState {
    const state: VadStreamState = {};
    this.live.add(state);
    return state;
  }

  releaseState(state: VadStreamState): void {
    if (!this.live.delete(state)) throw new Error('ScriptedVadBackend: a state released twice or never made');
  }

  async infer(frames: readonly VadFrame[]): Promise<Float32Array> {
    if (this.closed) throw new Error('ScriptedVadBackend: infer after close');
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    this.batches += 1;
    const out = new Float32Array(frames.length);
    frames.forEach((frame, i) => {
      if (!this.live.has(frame.state)) throw new Error('ScriptedVadBackend: a frame of a released or unknown state');
      let peak = 0;
      for (const sample of frame.samples) peak = Math.max(peak, Math.abs(sample));
      out[i] = Math.min(1, peak);
      this.framesInferred += 1;
    });
    return out;
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** Audio whose frames carry these speech probabilities for ScriptedVadBackend (one 32 ms frame each). */
export function scriptedAudio(probabilities: readonly number[]): Float32Array {
  const audio = new Float32Array(probabilities.length * FRAME_SAMPLES);
  probabilities.forEach((p, i) => audio.fill(p, i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES));
  return audio;
}

/** `seconds` of frames at probability `p`: `speech(1.2)` then `silence(0.8)` reads like the scene it scripts. */
export function scriptedSpan(seconds: number, p: number): number[] {
  return new Array<number>(Math.round((seconds * TARGET_SAMPLE_RATE) / FRAME_SAMPLES)).fill(p);
}

export const speech = (seconds: number): number[] => scriptedSpan(seconds, 0.9);
export const silence = (seconds: number): number[] => scriptedSpan(seconds, 0);

/** The same audio as 16-bit little-endian PCM, what a stream client sends. */
export function pcm16(samples: Float32Array): Buffer {
  const out = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => out.writeInt16LE(Math.round(Math.max(-1, Math.min(1, s)) * 32767), i * 2));
  return out;
}
