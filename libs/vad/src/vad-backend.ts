/** Samples per VAD frame at 16 kHz (32 ms), what Silero v5/v6 take. */
export const FRAME_SAMPLES = 512;

/** Per-stream recurrent state of a backend; owned by the stream, never by the shared session. */
export interface VadStreamState {
  /** Silero: the recurrent state [2, 128] and the context every frame is prefixed with (its last 64 samples at 16 kHz, 32 at 8 kHz). */
  recurrent?: Float32Array;
  context?: Float32Array;
  /** Silero at 8 kHz: the last 16 kHz samples of the previous frame, which the decimator's filter reaches back to. */
  decimator?: Float32Array;
  /** Energy backend: the tracked noise floor in dBFS. */
  noiseFloorDb?: number;
  /** TEN-VAD: the address of this stream's native instance inside the WebAssembly module. */
  tenHandle?: number;
}

export interface VadFrame {
  samples: Float32Array;
  state: VadStreamState;
}

/** A speech-probability model. `infer` takes frames of many streams at once and updates each one's state. */
export interface VadBackend {
  readonly name: 'silero' | 'energy' | 'ten';
  newState(): VadStreamState;
  /** Frees what `newState` allocated outside the JavaScript heap (TEN-VAD's instances); the state is dead after. */
  releaseState(state: VadStreamState): void;
  infer(frames: readonly VadFrame[]): Promise<Float32Array>;
  close(): Promise<void>;
}
