import { TARGET_SAMPLE_RATE } from './pcm';
import { Resampler } from './resampler';

export const PCM_ENCODINGS = ['pcm_s16le', 'pcm_f32le'] as const;
export type PcmEncoding = (typeof PCM_ENCODINGS)[number];

export interface PcmFormat {
  encoding: PcmEncoding;
  sampleRate: number;
  channels: number;
}

/**
 * Raw little-endian PCM (read through typed-array views: this runs for every frame of every stream) arriving in pieces of any length (a live stream's binary frames) to 16 kHz mono floats:
 * bytes of an incomplete sample frame wait for the next piece, channels are averaged, other rates resampled.
 */
export class PcmStreamDecoder {
  private readonly bytesPerSample: number;
  private readonly frameBytes: number;
  private readonly resampler: Resampler | undefined;
  private carry = Buffer.alloc(0);

  constructor(readonly format: PcmFormat) {
    this.bytesPerSample = format.encoding === 'pcm_s16le' ? 2 : 4;
    this.frameBytes = this.bytesPerSample * format.channels;
    this.resampler =
      format.sampleRate === TARGET_SAMPLE_RATE ? undefined : new Resampler(format.sampleRate, TARGET_SAMPLE_RATE);
  }

  /** Seconds of audio in `bytes` at this format (whole frames or not). */
  secondsIn(bytes: number): number {
    return bytes / this.frameBytes / this.format.sampleRate;
  }

  push(piece: Buffer): Float32Array {
    const bytes = this.carry.length > 0 ? Buffer.concat([this.carry, piece]) : piece;
    const frames = Math.floor(bytes.length / this.frameBytes);
    const whole = frames * this.frameBytes;
    this.carry = Buffer.from(bytes.subarray(whole));
    const mono = this.downmix(bytes, frames);
    return this.resampler ? this.resampler.push(mono) : mono;
  }

  /** The resampler's last samples; an incomplete trailing frame is dropped. */
  flush(): Float32Array {
    this.carry = Buffer.alloc(0);
    return this.resampler ? this.resampler.flush() : new Float32Array(0);
  }

  private downmix(bytes: Buffer, frames: number): Float32Array {
    const { channels, encoding } = this.format;
    const out = new Float32Array(frames);
    const samples = this.typedView(bytes, frames * channels);
    const scale = encoding === 'pcm_s16le' ? 1 / (32768 * channels) : 1 / channels;
    if (channels === 1) {
      for (let f = 0; f < frames; f += 1) out[f] = samples[f]! * scale;
      return out;
    }
    for (let f = 0, at = 0; f < frames; f += 1) {
      let sum = 0;
      for (let c = 0; c < channels; c += 1, at += 1) sum += samples[at]!;
      out[f] = sum * scale;
    }
    return out;
  }

  /** The samples as a typed array over the bytes (copied once if they are not aligned for it). */
  private typedView(bytes: Buffer, count: number): Int16Array | Float32Array {
    const aligned = bytes.byteOffset % this.bytesPerSample === 0 ? bytes : Buffer.from(bytes);
    return this.format.encoding === 'pcm_s16le'
      ? new Int16Array(aligned.buffer, aligned.byteOffset, count)
      : new Float32Array(aligned.buffer, aligned.byteOffset, count);
  }
}
