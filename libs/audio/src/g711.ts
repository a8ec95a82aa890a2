/**
 * ITU-T G.711 companded telephony audio: one byte a sample, μ-law (North America, Japan) or A-law (elsewhere),
 * nearly always at 8 kHz. Each code stands for one 16-bit value; the expansions below are the reference
 * decoder's (G.711's tables, as libsox and ffmpeg compute them), so decoded samples equal theirs exactly.
 */
export const G711_ENCODINGS = ['pcm_mulaw', 'pcm_alaw'] as const;
export type G711Encoding = (typeof G711_ENCODINGS)[number];

/** The rate G.711 is defined at: what a μ-law or A-law stream is taken to be when it does not say. */
export const G711_SAMPLE_RATE = 8000;

/** μ-law codes are sent inverted; the bias (33 × 4) keeps the segment formula free of a special first segment. */
function mulawToInt16(code: number): number {
  const u = ~code & 0xff;
  const magnitude = (((u & 0x0f) << 3) + 0x84) << ((u & 0x70) >> 4);
  return u & 0x80 ? 0x84 - magnitude : magnitude - 0x84;
}

/** A-law codes have their even bits inverted (0x55); its first two segments share one step size. */
function alawToInt16(code: number): number {
  const a = code ^ 0x55;
  const mantissa = (a & 0x0f) << 4;
  const segment = (a & 0x70) >> 4;
  const magnitude = segment === 0 ? mantissa + 8 : (mantissa + 0x108) << (segment - 1);
  return a & 0x80 ? magnitude : -magnitude;
}

function table(expand: (code: number) => number): Float32Array {
  // Built once per process; values are 16-bit integers over 32768, exact in float32.
  return Float32Array.from({ length: 256 }, (_, code) => expand(code) / 32768);
}

const TABLES: Record<G711Encoding, Float32Array> = { pcm_mulaw: table(mulawToInt16), pcm_alaw: table(alawToInt16) };

/** The 256 samples (−1…1) the codes of `encoding` stand for, indexed by code (shared, hence read-only). */
export function g711Table(encoding: G711Encoding): ArrayLike<number> {
  return TABLES[encoding];
}

export function isG711(encoding: string): encoding is G711Encoding {
  return (G711_ENCODINGS as readonly string[]).includes(encoding);
}

/** Each byte of `codes` as the sample (−1…1) it stands for, in a new array. */
export function decodeG711(encoding: G711Encoding, codes: Uint8Array): Float32Array {
  const lookup = TABLES[encoding];
  const out = new Float32Array(codes.length);
  for (let i = 0; i < codes.length; i += 1) out[i] = lookup[codes[i]!]!;
  return out;
}

/** μ-law bytes (OpenAI's `audio/pcmu`, Deepgram's `mulaw`) to samples in −1…1. */
export function decodeMulaw(codes: Uint8Array): Float32Array {
  return decodeG711('pcm_mulaw', codes);
}

/** A-law bytes (OpenAI's `audio/pcma`, Deepgram's `alaw`) to samples in −1…1. */
export function decodeAlaw(codes: Uint8Array): Float32Array {
  return decodeG711('pcm_alaw', codes);
}
