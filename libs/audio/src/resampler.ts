const PHASES = 512;
const HALF_TAPS = 16;
const KAISER_BETA = 8.6;

function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 30; k += 1) {
    term *= (x / (2 * k)) ** 2;
    sum += term;
  }
  return sum;
}

/**
 * Streaming band-limited resampler (Kaiser-windowed sinc, kernel tabulated at 512 phases). Feed blocks with
 * `push`, then `flush` once; output is continuous across blocks. Downsampling low-passes at the target Nyquist,
 * so 44.1/48 kHz speech does not alias into the band the recogniser listens to.
 */
export class Resampler {
  private readonly step: number;
  private readonly scale: number;
  private readonly halfWidth: number;
  private readonly table: Float32Array;
  private history = new Float32Array(0);
  /** Position of the next output sample, in input samples, relative to history[0]. */
  private position: number;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    this.step = fromRate / toRate;
    this.scale = Math.min(1, toRate / fromRate);
    this.halfWidth = Math.ceil(HALF_TAPS / this.scale);
    this.table = this.buildTable();
    this.position = 0;
    // Leading zeros so the first output sample has its left-hand taps.
    this.history = new Float32Array(this.halfWidth);
    this.position = this.halfWidth;
  }

  /** Kernel value at offset x (in input samples), |x| ≤ halfWidth, tabulated over [0, halfWidth]. */
  private buildTable(): Float32Array {
    const size = this.halfWidth * PHASES + 2;
    const table = new Float32Array(size);
    const norm = besselI0(KAISER_BETA);
    for (let i = 0; i < size; i += 1) {
      const x = i / PHASES;
      const t = x * this.scale * Math.PI;
      const sinc = x === 0 ? 1 : Math.sin(t) / t;
      const r = x / this.halfWidth;
      const window = r >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / norm;
      table[i] = sinc * window * this.scale;
    }
    return table;
  }

  private kernel(x: number): number {
    const at = Math.abs(x) * PHASES;
    const i = Math.floor(at);
    const frac = at - i;
    return this.table[i]! + (this.table[i + 1]! - this.table[i]!) * frac;
  }

  push(input: Float32Array): Float32Array {
    if (this.fromRate === this.toRate) return input;
    const buffer = new Float32Array(this.history.length + input.length);
    buffer.set(this.history);
    buffer.set(input, this.history.length);
    const out: number[] = [];
    while (this.position + this.halfWidth < buffer.length) {
      const center = Math.floor(this.position);
      const frac = this.position - center;
      let sum = 0;
      for (let k = -this.halfWidth + 1; k <= this.halfWidth; k += 1) {
        sum += buffer[center + k]! * this.kernel(k - frac);
      }
      out.push(sum);
      this.position += this.step;
    }
    // Keep what the next outputs still need.
    const keepFrom = Math.max(0, Math.floor(this.position) - this.halfWidth);
    this.history = buffer.subarray(keepFrom).slice();
    this.position -= keepFrom;
    return Float32Array.from(out);
  }

  /** Pads with silence to emit the last samples. */
  flush(): Float32Array {
    if (this.fromRate === this.toRate) return new Float32Array(0);
    const remaining = Math.max(0, Math.ceil((this.history.length - this.position) / this.step));
    const out = this.push(new Float32Array(this.halfWidth + 1));
    return out.subarray(0, Math.min(out.length, remaining));
  }
}
