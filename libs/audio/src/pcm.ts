/** The rate every engine in this service consumes. */
export const TARGET_SAMPLE_RATE = 16_000;

/** Seconds to the millisecond, as every response and stream message gives them. */
export function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

export function int16ToFloat32(samples: Int16Array): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i += 1) out[i] = samples[i]! / 32768;
  return out;
}

/**
 * One float sample (clipped to −1…1) as a 16-bit integer, rounded half up (as Math.round). Comparisons and
 * Math.floor, not Math.max/min/round: this runs for every sample sent to a provider, and is about 3× faster so.
 */
function toInt16(sample: number): number {
  const s = sample > 1 ? 1 : sample < -1 ? -1 : sample;
  return Math.floor(s < 0 ? s * 32768 + 0.5 : s * 32767 + 0.5);
}

export function float32ToInt16(samples: Float32Array): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i += 1) out[i] = toInt16(samples[i]!);
  return out;
}

/**
 * 16-bit mono PCM WAV bytes, what remote providers are sent. Written into `into` when it is large enough (callers
 * that send chunk after chunk reuse one buffer), otherwise into a new one; returns the bytes written.
 */
export function encodeWav(samples: Float32Array, sampleRate: number = TARGET_SAMPLE_RATE, into?: Buffer): Buffer {
  const dataBytes = samples.length * 2;
  const wav =
    into && into.length >= 44 + dataBytes ? into.subarray(0, 44 + dataBytes) : Buffer.allocUnsafe(44 + dataBytes);
  wav.write('RIFF', 0, 'ascii');
  wav.writeUInt32LE(36 + dataBytes, 4);
  wav.write('WAVE', 8, 'ascii');
  wav.write('fmt ', 12, 'ascii');
  wav.writeUInt32LE(16, 16);
  wav.writeUInt16LE(1, 20);
  wav.writeUInt16LE(1, 22);
  wav.writeUInt32LE(sampleRate, 24);
  wav.writeUInt32LE(sampleRate * 2, 28);
  wav.writeUInt16LE(2, 32);
  wav.writeUInt16LE(16, 34);
  wav.write('data', 36, 'ascii');
  wav.writeUInt32LE(dataBytes, 40);
  if ((wav.byteOffset + 44) % 2 === 0) {
    // Straight into the buffer through a 16-bit view (little-endian on every platform Node runs on here).
    const view = new Int16Array(wav.buffer, wav.byteOffset + 44, samples.length);
    for (let i = 0; i < samples.length; i += 1) view[i] = toInt16(samples[i]!);
  } else {
    for (let i = 0; i < samples.length; i += 1) wav.writeInt16LE(toInt16(samples[i]!), 44 + i * 2);
  }
  return wav;
}

/** The blocks one after another in one array (the only block itself, when there is one). */
export function concatSamples(parts: readonly Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
