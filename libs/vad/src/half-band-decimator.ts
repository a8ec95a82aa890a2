/**
 * Halves a 16 kHz signal to 8 kHz for Silero's 8 kHz mode: a half-band low-pass (a sinc cut at 4 kHz under a
 * 23-point Blackman window, which is zero at both ends: 21 taps that count), then every other sample. Half of a half-band filter's taps are zero, so each output costs a dozen
 * multiplies; the delay is (TAPS - 1) / 2 samples at 16 kHz (0.7 ms), far below a 32 ms frame.
 */
const TAPS = 23;
const REACH = (TAPS - 1) / 2;

/** The 16 kHz samples a stream's decimator keeps between frames: the filter's reach into the frame before. */
export const DECIMATOR_HISTORY = TAPS - 1;

/** Distances from the centre of the non-zero side taps (the odd ones: a half-band filter's even ones are 0). */
const DISTANCES = Int32Array.from({ length: (REACH + 1) / 2 }, (_, i) => 2 * i + 1);

const { CENTRE, WEIGHTS } = (() => {
  const blackman = (n: number): number =>
    0.42 - 0.5 * Math.cos((2 * Math.PI * n) / (TAPS - 1)) + 0.08 * Math.cos((4 * Math.PI * n) / (TAPS - 1));
  const sides = Array.from(
    DISTANCES,
    (d) => ((0.5 * Math.sin((Math.PI * d) / 2)) / ((Math.PI * d) / 2)) * blackman(REACH + d),
  );
  // Unity gain at DC.
  const gain = 0.5 + 2 * sides.reduce((sum, w) => sum + w, 0);
  return { CENTRE: 0.5 / gain, WEIGHTS: Float64Array.from(sides, (w) => w / gain) };
})();

/**
 * Writes `input.length / 2` samples at 8 kHz into `out` from `outOffset`. `history` holds the last DECIMATOR_HISTORY
 * samples of the stream's previous frame (zeros for a new stream) and is updated; `scratch`, which the caller
 * reuses, holds at least DECIMATOR_HISTORY + `input.length` samples.
 */
export function decimate(
  input: Float32Array,
  history: Float32Array,
  out: Float32Array,
  outOffset: number,
  scratch: Float32Array,
): void {
  scratch.set(history, 0);
  scratch.set(input, DECIMATOR_HISTORY);
  const outputs = input.length >> 1;
  for (let m = 0; m < outputs; m += 1) {
    // Centred REACH samples back from input sample 2m + 1, so every tap it needs has arrived.
    const centre = 2 * m + 1 + DECIMATOR_HISTORY - REACH;
    let sum = CENTRE * scratch[centre]!;
    for (let t = 0; t < DISTANCES.length; t += 1) {
      const d = DISTANCES[t]!;
      sum += WEIGHTS[t]! * (scratch[centre - d]! + scratch[centre + d]!);
    }
    out[outOffset + m] = sum;
  }
  history.set(scratch.subarray(input.length, input.length + DECIMATOR_HISTORY));
}
