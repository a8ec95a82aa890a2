import { decimate, DECIMATOR_HISTORY } from './half-band-decimator';

const FRAME = 512;

/** `signal` decimated frame by frame through one stream's history, as the Silero backend does. */
function decimated(signal: Float32Array): Float32Array {
  const history = new Float32Array(DECIMATOR_HISTORY);
  const scratch = new Float32Array(DECIMATOR_HISTORY + FRAME);
  const out = new Float32Array(signal.length / 2);
  for (let at = 0; at < signal.length; at += FRAME) {
    decimate(signal.subarray(at, at + FRAME), history, out, at / 2, scratch);
  }
  return out;
}

const tone = (hz: number, frames: number): Float32Array =>
  Float32Array.from({ length: frames * FRAME }, (_, i) => Math.sin((2 * Math.PI * hz * i) / 16_000));

/** Peak level in dB of the output after the filter has filled (the first frame left out). */
const gainDb = (hz: number): number => {
  const out = decimated(tone(hz, 8)).subarray(FRAME / 2);
  return 20 * Math.log10(out.reduce((peak, v) => Math.max(peak, Math.abs(v)), 0));
};

describe('half-band decimator', () => {
  it('passes speech frequencies, and attenuates what would alias from above 4 kHz', () => {
    for (const hz of [100, 500, 1000, 2000, 2800]) expect(Math.abs(gainDb(hz))).toBeLessThan(1);
    expect(gainDb(4000)).toBeLessThan(-5);
    expect(gainDb(5000)).toBeLessThan(-20);
    expect(gainDb(6000)).toBeLessThan(-60);
  });

  it('is continuous across frames: a frame boundary leaves no trace in the output', () => {
    // A tone decimated in frames equals the same filter run over the whole signal at once.
    const signal = tone(700, 4);
    const history = new Float32Array(DECIMATOR_HISTORY);
    const whole = new Float32Array(signal.length / 2);
    decimate(signal, history, whole, 0, new Float32Array(DECIMATOR_HISTORY + signal.length));
    expect(Array.from(decimated(signal))).toEqual(Array.from(whole));
  });
});
