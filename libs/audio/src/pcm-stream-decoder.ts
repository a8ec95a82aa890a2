import { decodeG711, G711_ENCODINGS, isG711 } from './g711';
import { TARGET_SAMPLE_RATE } from './pcm';
import { Resampler } from './resampler';

export const PCM_ENCODINGS = ['pcm_s16le', 'pcm_f32le', ...G711_ENCODINGS] as const;
export type PcmEncoding = (typeof PCM_ENCODINGS)[number];

/** The carry when no bytes wait: one empty buffer, shared (it is only read). */
const NOTHING = Buffer.alloc(0);

const BYTES_PER_SAMPLE: Record<PcmEncoding, number> = { pcm_s16le: 2, pcm_f32le: 4, pcm_mulaw: 1, pcm_alaw: 1 };

export interface PcmFormat {
  encoding: PcmEncoding;
  sampleRate: number;
  channels: number;
}

/** Bytes of one sample frame (a sample of every channel) in `format`. */
export function bytesPerFrame(format: PcmFormat): number {
  return BYTES_PER_SAMPLE[format.encoding] * format.channels;
}

/**
 * Raw PCM (little-endian integers or floats, or G.711 μ-law / A-law bytes; read through typed-array views and
 * lookup tables: this runs for every frame of every stream) arriving in pieces of any length (a live stream's binary
 * frames) to 16 kHz mono floats: bytes of an incomplete sample frame wait for the next piece, channels are averaged,
 * other rates resampled.
 */
export class PcmStreamDecoder {
  private readonly bytesPerSample: number;
  private readonly frameBytes: number;
  private readonly resampler: Resampler | undefined;
  private carry = NOTHING;

  constructor(readonly format: PcmFormat) {
    this.bytesPerSample = BYTES_PER_SAMPLE[format.encoding];
    this.frameBytes = bytesPerFrame(format);
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
    // Most pieces are whole frames: nothing to carry, and no allocation for it.
    this.carry = whole === bytes.length ? NOTHING : Buffer.from(bytes.subarray(whole));
    const mono = this.downmix(bytes, frames);
    return this.resampler ? this.resampler.push(mono) : mono;
  }

  /** The resampler's last samples; an incomplete trailing frame is dropped. */
  flush(): Float32Array {
    this.carry = NOTHING;
    return this.resampler ? this.resampler.flush() : new Float32Array(0);
  }

  private downmix(bytes: Buffer, frames: number): Float32Array {
    const { channels, encoding } = this.format;
    if (isG711(encoding)) {
      // Expanded through the table into a new array, which a mono stream passes on as it is.
      const expanded = decodeG711(encoding, bytes.subarray(0, frames * channels));
      return channels === 1 ? expanded : average(expanded, frames, channels, 1 / channels);
    }
    const samples = this.typedView(bytes, frames * channels);
    const scale = encoding === 'pcm_s16le' ? 1 / (32768 * channels) : 1 / channels;
    return average(samples, frames, channels, scale);
  }

  /** The samples as a typed array over the bytes (copied once if they are not aligned for it). */
  private typedView(bytes: Buffer, count: number): Int16Array | Float32Array {
    const aligned = bytes.byteOffset % this.bytesPerSample === 0 ? bytes : Buffer.from(bytes);
    return this.format.encoding === 'pcm_s16le'
      ? new Int16Array(aligned.buffer, aligned.byteOffset, count)
      : new Float32Array(aligned.buffer, aligned.byteOffset, count);
  }
}

/** Each frame's interleaved samples summed, times `scale` (a copy also for one channel: the input is the client's). */
function average(samples: Int16Array | Float32Array, frames: number, channels: number, scale: number): Float32Array {
  const out = new Float32Array(frames);
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
