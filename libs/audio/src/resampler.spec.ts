import { concatSamples } from './pcm';
import { Resampler } from './resampler';

function sine(frequency: number, rate: number, seconds: number): Float32Array {
  return Float32Array.from({ length: Math.round(rate * seconds) }, (_, i) =>
    Math.sin((2 * Math.PI * frequency * i) / rate),
  );
}

function rms(samples: Float32Array, from = 0, to = samples.length): number {
  let sum = 0;
  for (let i = from; i < to; i += 1) sum += samples[i]! ** 2;
  return Math.sqrt(sum / (to - from));
}

/** Runs the signal through in uneven blocks, as decoded audio arrives. */
function resample(input: Float32Array, from: number, to: number): Float32Array {
  const resampler = new Resampler(from, to);
  const parts: Float32Array[] = [];
  for (let i = 0, size = 1000; i < input.length; i += size, size = size === 1000 ? 4410 : 1000) {
    parts.push(resampler.push(input.subarray(i, i + size)));
  }
  parts.push(resampler.flush());
  return concatSamples(parts);
}

describe('Resampler', () => {
  it.each([
    [44100, 16000],
    [48000, 16000],
    [8000, 16000],
  ])('%i → %i Hz keeps the length and a 1 kHz tone', (from, to) => {
    const out = resample(sine(1000, from, 1), from, to);
    expect(Math.abs(out.length - to)).toBeLessThanOrEqual(2);
    // Amplitude of a sine is preserved (RMS 0.707) away from the edges.
    expect(rms(out, 800, to - 800)).toBeCloseTo(Math.SQRT1_2, 2);
    // Phase continuity across blocks: compare with the ideal tone at the new rate.
    const ideal = sine(1000, to, 1);
    let error = 0;
    for (let i = 800; i < to - 800; i += 1) error = Math.max(error, Math.abs(out[i]! - ideal[i]!));
    expect(error).toBeLessThan(0.02);
  });

  it('removes content above the target Nyquist instead of aliasing it', () => {
    // 12 kHz at 48 kHz would alias to 4 kHz at 16 kHz without the low-pass.
    const out = resample(sine(12000, 48000, 1), 48000, 16000);
    expect(rms(out, 800, 15200)).toBeLessThan(0.01);
  });
});
