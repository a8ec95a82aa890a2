import { G711_ENCODINGS, g711Table, isG711 } from './g711';
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
 * Raw PCM (little-endian integers or floats, or G.711 μ-law / A-law bytes through their lookup tables) arriving in
 * pieces of any length (a live stream's binary frames) to 16 kHz mono floats: bytes of an incomplete sample frame
 * wait for the next piece, channels are averaged, other rates resampled. This runs for every frame of every stream,
 * so `decode` writes into one reused buffer and reads the bytes in place, allocating nothing for whole frames.
 */
export class PcmStreamDecoder {
  private readonly frameBytes: number;
  private readonly resampler: Resampler | undefined;
  /** The expansion table of a G.711 encoding. */
  private readonly g711: ArrayLike<number> | undefined;
  private carry = NOTHING;
  /** The reused output, and the view of it `decode` returned last (kept while pieces keep their size). */
  private out = new Float32Array(0);
  private view = this.out;

  constructor(readonly format: PcmFormat) {
    this.frameBytes = bytesPerFrame(format);
    this.resampler =
      format.sampleRate === TARGET_SAMPLE_RATE ? undefined : new Resampler(format.sampleRate, TARGET_SAMPLE_RATE);
    this.g711 = isG711(format.encoding) ? g711Table(format.encoding) : undefined;
  }

  /** Seconds of audio in `bytes` at this format (whole frames or not). */
  secondsIn(bytes: number): number {
    return bytes / this.frameBytes / this.format.sampleRate;
  }

  /** The samples of `piece` (and of the bytes carried before it), in a new array. */
  push(piece: Buffer): Float32Array {
    const samples = this.decode(piece);
    return this.resampler ? samples : samples.slice();
  }

  /**
   * The samples of `piece`, in this decoder's own buffer: valid until the next call. The stream's lookback and
   * recorder copy them at once; its VAD reads them until the push's promise settles, and the pipeline decodes the
   * next piece only after that (its queue).
   */
  decode(piece: Buffer): Float32Array {
    const bytes = this.carry.length > 0 ? Buffer.concat([this.carry, piece]) : piece;
    const frames = Math.floor(bytes.length / this.frameBytes);
    const whole = frames * this.frameBytes;
    // Most pieces are whole frames: nothing to carry, and no allocation for it.
    this.carry = whole === bytes.length ? NOTHING : Buffer.from(bytes.subarray(whole));
    const mono = this.output(frames);
    this.downmix(bytes, mono);
    return this.resampler ? this.resampler.push(mono) : mono;
  }

  /** The resampler's last samples; an incomplete trailing frame is dropped. */
  flush(): Float32Array {
    this.carry = NOTHING;
    return this.resampler ? this.resampler.flush() : new Float32Array(0);
  }

  /** A view of `length` samples of the reused output, grown when it is too small. */
  private output(length: number): Float32Array {
    if (length > this.out.length) this.out = new Float32Array(Math.max(length, 2 * this.out.length));
    if (this.view.buffer !== this.out.buffer || this.view.length !== length) this.view = this.out.subarray(0, length);
    return this.view;
  }

  /** Each frame's samples summed and scaled to −1…1, read from the bytes in place (aligned or not). */
  private downmix(bytes: Buffer, out: Float32Array): void {
    const { channels, encoding } = this.format;
    const frames = out.length;
    const table = this.g711;
    if (table) {
      const scale = 1 / channels;
      for (let f = 0, at = 0; f < frames; f += 1) {
        let sum = 0;
        for (let c = 0; c < channels; c += 1, at += 1) sum += table[bytes[at]!]!;
        out[f] = sum * scale;
      }
    } else if (encoding === 'pcm_s16le') {
      const scale = 1 / (32768 * channels);
      for (let f = 0, at = 0; f < frames; f += 1) {
        let sum = 0;
        // Little-endian, sign-extended from bit 15.
        for (let c = 0; c < channels; c += 1, at += 2) sum += ((bytes[at]! | (bytes[at + 1]! << 8)) << 16) >> 16;
        out[f] = sum * scale;
      }
    } else {
      const scale = 1 / channels;
      // Through a float view where the bytes are aligned for one (nearly always), else read one by one.
      const floats =
        bytes.byteOffset % 4 === 0 ? new Float32Array(bytes.buffer, bytes.byteOffset, frames * channels) : undefined;
      for (let f = 0, at = 0; f < frames; f += 1) {
        let sum = 0;
        for (let c = 0; c < channels; c += 1, at += 1) sum += floats ? floats[at]! : bytes.readFloatLE(at * 4);
        out[f] = sum * scale;
      }
    }
  }
}
