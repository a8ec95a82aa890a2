import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { librivoxSamples } from '../../../test/support/speech';
import { decodeAlaw, decodeMulaw, type G711Encoding, g711Table } from './g711';

/** sox's names for the two encodings (its `-e` values and raw file types). */
const SOX: Record<G711Encoding, { encoding: string; type: string }> = {
  pcm_mulaw: { encoding: 'mu-law', type: 'ul' },
  pcm_alaw: { encoding: 'a-law', type: 'al' },
};
const DECODERS: Record<G711Encoding, (codes: Uint8Array) => Float32Array> = {
  pcm_mulaw: decodeMulaw,
  pcm_alaw: decodeAlaw,
};

function sox(args: string[]): Buffer {
  return execFileSync('sox', args, { maxBuffer: 1 << 26 });
}

/** sox's own expansion of G.711 bytes to signed 16-bit samples. */
function soxDecode(encoding: G711Encoding, codes: Buffer): Int16Array {
  const { type } = SOX[encoding];
  const pcm = execFileSync(
    'sox',
    ['-t', type, '-r', '8000', '-c', '1', '-', '-t', 'raw', '-e', 'signed', '-b', '16', '-'],
    {
      input: codes,
      maxBuffer: 1 << 26,
    },
  );
  return new Int16Array(pcm.buffer.slice(pcm.byteOffset, pcm.byteOffset + pcm.length));
}

function asInt16(samples: Float32Array): number[] {
  return Array.from(samples, (s) => s * 32768);
}

function largestDifference(ours: number[], theirs: Int16Array): number {
  expect(ours).toHaveLength(theirs.length);
  return ours.reduce((worst, value, i) => Math.max(worst, Math.abs(value - theirs[i]!)), 0);
}

const EVERY_CODE = Buffer.from(Array.from({ length: 256 }, (_, code) => code));

describe('G.711 decoding', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'asr-g711-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the reference values of G.711 (in 16-bit units) for the extreme and the smallest codes', () => {
    // μ-law: ±8031 and ±0 in G.711's 14-bit steps (×4), codes sent inverted; 0x7E is the smallest negative step.
    expect(asInt16(decodeMulaw(Uint8Array.of(0x80, 0x00, 0xff, 0x7f, 0xfe, 0x7e)))).toEqual([
      32124, -32124, 0, 0, 8, -8,
    ]);
    // A-law: ±4032 and ±1 in its 13-bit steps (×8), even bits inverted (0x55 is the smallest negative value).
    expect(asInt16(decodeAlaw(Uint8Array.of(0xaa, 0x2a, 0xd5, 0x55, 0xd4, 0x54)))).toEqual([
      32256, -32256, 8, -8, 24, -24,
    ]);
  });

  it.each(['pcm_mulaw', 'pcm_alaw'] as const)(
    '%s: the sign bit mirrors every code, and magnitudes grow strictly with the 7-bit level (G.711 is monotone)',
    (encoding) => {
      const table = Array.from(g711Table(encoding), (s) => s * 32768);
      // A sum, not a negation: μ-law's two codes for zero (0x7f, 0xff) would compare as 0 and −0.
      for (let code = 0; code < 128; code += 1) expect(table[code | 0x80]! + table[code]!).toBe(0);
      // The level sits in the low 7 bits, inverted on the wire: all of them for μ-law, the even ones for A-law.
      const wire = encoding === 'pcm_mulaw' ? 0x7f : 0x55;
      const magnitudes = Array.from({ length: 128 }, (_, level) => table[0x80 | (level ^ wire)]!);
      for (let level = 1; level < 128; level += 1) expect(magnitudes[level]).toBeGreaterThan(magnitudes[level - 1]!);
    },
  );

  it.each(['pcm_mulaw', 'pcm_alaw'] as const)('%s: all 256 codes decode as sox decodes them', (encoding) => {
    const ours = asInt16(DECODERS[encoding](EVERY_CODE));
    expect(largestDifference(ours, soxDecode(encoding, EVERY_CODE))).toBe(0);
  });

  it.each(['pcm_mulaw', 'pcm_alaw'] as const)(
    '%s: recorded speech and full-scale noise encoded by sox decode within 1 LSB of sox decoding them back to 16 bits',
    (encoding) => {
      const { encoding: soxEncoding } = SOX[encoding];
      const speech = librivoxSamples()[0]!.file;
      // Noise at full scale then fading to silence: every segment of the companding curve, both signs.
      const noise = join(dir, 'noise.wav');
      sox(['-n', '-r', '8000', '-c', '1', '-b', '16', noise, 'synth', '2', 'whitenoise', 'fade', 'q', '0', '2', '2']);
      for (const input of [speech, noise]) {
        const codes = sox([input, '-r', '8000', '-c', '1', '-e', soxEncoding, '-t', 'raw', '-']);
        expect(codes.length).toBeGreaterThan(8000);
        expect(largestDifference(asInt16(DECODERS[encoding](codes)), soxDecode(encoding, codes))).toBeLessThanOrEqual(
          1,
        );
      }
    },
  );
});
