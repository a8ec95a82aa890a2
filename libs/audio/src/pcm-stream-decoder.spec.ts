import { decodeAlaw, decodeMulaw } from './g711';
import { TARGET_SAMPLE_RATE } from './pcm';
import { PcmStreamDecoder } from './pcm-stream-decoder';

function s16(values: number[]): Buffer {
  const out = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => out.writeInt16LE(v, i * 2));
  return out;
}

describe('PcmStreamDecoder', () => {
  it('carries a split sample over to the next piece (odd byte counts)', () => {
    const decoder = new PcmStreamDecoder({ encoding: 'pcm_s16le', sampleRate: TARGET_SAMPLE_RATE, channels: 1 });
    const bytes = s16([16384, -16384, 8192]);
    const first = decoder.push(bytes.subarray(0, 3));
    const second = decoder.push(bytes.subarray(3));
    expect(Array.from(first)).toEqual([0.5]);
    expect(Array.from(second)).toEqual([-0.5, 0.25]);
  });

  it('averages channels and reads 32-bit floats', () => {
    const decoder = new PcmStreamDecoder({ encoding: 'pcm_f32le', sampleRate: TARGET_SAMPLE_RATE, channels: 2 });
    const bytes = Buffer.alloc(16);
    [0.5, 0.25, -1, 0].forEach((v, i) => bytes.writeFloatLE(v, i * 4));
    expect(Array.from(decoder.push(bytes.subarray(0, 9)))).toEqual([0.375]);
    expect(Array.from(decoder.push(bytes.subarray(9)))).toEqual([-0.5]);
  });

  it('resamples other rates to 16 kHz, about rate ratio samples out', () => {
    const decoder = new PcmStreamDecoder({ encoding: 'pcm_s16le', sampleRate: 48_000, channels: 1 });
    const tone = s16(
      Array.from({ length: 48_000 }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48_000))),
    );
    let total = 0;
    for (let at = 0; at < tone.length; at += 1001) total += decoder.push(tone.subarray(at, at + 1001)).length;
    total += decoder.flush().length;
    expect(Math.abs(total - TARGET_SAMPLE_RATE)).toBeLessThanOrEqual(2);
    expect(decoder.secondsIn(tone.length)).toBe(1);
  });

  it('decodes μ-law one byte a sample through the G.711 table and averages its channels', () => {
    const decoder = new PcmStreamDecoder({ encoding: 'pcm_mulaw', sampleRate: TARGET_SAMPLE_RATE, channels: 2 });
    // Frames (0x80, 0x00) and (0x80, 0x80): full-scale opposites cancel, equal ones stay.
    const bytes = Buffer.from([0x80, 0x00, 0x80, 0x80]);
    expect(Array.from(decoder.push(bytes.subarray(0, 3)))).toEqual([0]);
    expect(Array.from(decoder.push(bytes.subarray(3)))).toEqual([32124 / 32768]);
    expect(decoder.secondsIn(TARGET_SAMPLE_RATE * 2)).toBe(1);
  });

  it('decodes 8 kHz A-law mono to about twice as many 16 kHz samples, and counts one byte a sample', () => {
    const codes = Buffer.from(Array.from({ length: 8000 }, (_, i) => i % 256));
    const decoder = new PcmStreamDecoder({ encoding: 'pcm_alaw', sampleRate: 8000, channels: 1 });
    const out = [...decoder.push(codes.subarray(0, 4001)), ...decoder.push(codes.subarray(4001)), ...decoder.flush()];
    expect(Math.abs(out.length - TARGET_SAMPLE_RATE)).toBeLessThanOrEqual(2);
    expect(decoder.secondsIn(codes.length)).toBe(1);
    const direct = new PcmStreamDecoder({ encoding: 'pcm_alaw', sampleRate: TARGET_SAMPLE_RATE, channels: 1 });
    expect(Array.from(direct.push(codes))).toEqual(Array.from(decodeAlaw(codes)));
    expect(Array.from(direct.push(codes))).not.toEqual(Array.from(decodeMulaw(codes)));
  });

  it('decode writes every piece into one reused buffer (the same array for pieces of one size), equal to push', () => {
    const format = { encoding: 'pcm_s16le', sampleRate: TARGET_SAMPLE_RATE, channels: 2 } as const;
    const reused = new PcmStreamDecoder(format);
    const fresh = new PcmStreamDecoder(format);
    // Unaligned pieces too (offset 1 in their buffer), and negative samples: read in place, sign-extended.
    const frames = [s16([1000, -3000, -32768, 32767]), s16([-1, 1, 12345, -12345])].map((b) =>
      Buffer.concat([Buffer.alloc(1), b]).subarray(1),
    );
    const first = reused.decode(frames[0]!);
    expect(Array.from(first)).toEqual(Array.from(fresh.push(frames[0]!)));
    expect(Array.from(first)).toEqual([-1000 / 32768, -1 / 65536]);
    const second = reused.decode(frames[1]!);
    expect(second).toBe(first);
    expect(Array.from(second)).toEqual(Array.from(fresh.push(frames[1]!)));
  });
});
