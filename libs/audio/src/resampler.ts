const HALF_TAPS = 16;
const KAISER_BETA = 8.6;
/** Most filter phases kept; rate pairs needing more share the nearest of these (at most 1/2048 sample off). */
const MAX_PHASES = 1024;

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
 * Filter banks by rate pair, shared (read-only) by every resampler of that pair: each stream at 44.1 or 48 kHz
 * would otherwise compute the same bank (a millisecond or two of CPU) when it opens. Bounded in bytes, since
 * clients choose their rates (a bank is 10 KB–800 KB): the oldest banks go first.
 */
const BANKS = new Map<string, Float32Array>();
const MAX_BANK_BYTES = 16 * 1024 * 1024;
let bankBytes = 0;

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * Streaming band-limited resampler (Kaiser-windowed sinc, 16 zero crossings a side). Feed blocks with `push`, then
 * `flush` once; output is continuous across blocks. Downsampling low-passes at the target Nyquist, so 44.1/48 kHz
 * speech does not alias into the band the recogniser listens to.
 *
 * Polyphase: the rate ratio is reduced to M/L (44.1 → 16 kHz: 441/160), the kernel is precomputed for each of the
 * L output phases, and the read position advances in exact integer steps — one multiply-add per tap per output
 * sample, no kernel evaluation on the hot path.
 */
export class Resampler {
  private readonly inStep: number;
  private readonly phases: number;
  private readonly taps: number;
  private readonly halfWidth: number;
  /** phases × taps coefficients, phase-major. */
  private readonly bank: Float32Array;
  private readonly bankPhases: number;
  private history: Float32Array;
  /** Read position: `base` in history, plus `phase`/`phases` of a sample. */
  private base: number;
  private phase = 0;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
  ) {
    const divisor = gcd(fromRate, toRate);
    this.inStep = fromRate / divisor;
    this.phases = toRate / divisor;
    const scale = Math.min(1, toRate / fromRate);
    this.halfWidth = Math.ceil(HALF_TAPS / scale);
    this.taps = 2 * this.halfWidth;
    this.bankPhases = Math.min(this.phases, MAX_PHASES);
    const key = `${fromRate}:${toRate}`;
    let bank = BANKS.get(key);
    if (!bank) {
      bank = this.buildBank(scale);
      for (const [oldest, old] of BANKS) {
        if (bankBytes + bank.byteLength <= MAX_BANK_BYTES) break;
        BANKS.delete(oldest);
        bankBytes -= old.byteLength;
      }
      BANKS.set(key, bank);
      bankBytes += bank.byteLength;
    }
    this.bank = bank;
    // Leading zeros so the first output sample has its left-hand taps.
    this.history = new Float32Array(this.halfWidth);
    this.base = this.halfWidth;
  }

  /** Coefficients for input offsets k − frac, k = −halfWidth+1 … halfWidth, for each phase frac = p / bankPhases. */
  private buildBank(scale: number): Float32Array {
    const bank = new Float32Array(this.bankPhases * this.taps);
    const norm = besselI0(KAISER_BETA);
    for (let p = 0; p < this.bankPhases; p += 1) {
      const frac = p / this.bankPhases;
      for (let j = 0; j < this.taps; j += 1) {
        const x = j - this.halfWidth + 1 - frac;
        const t = x * scale * Math.PI;
        const sinc = x === 0 ? 1 : Math.sin(t) / t;
        const r = Math.abs(x) / this.halfWidth;
        const window = r >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / norm;
        bank[p * this.taps + j] = sinc * window * scale;
      }
    }
    return bank;
  }

  push(input: Float32Array): Float32Array {
    if (this.fromRate === this.toRate) return input;
    const buffer = new Float32Array(this.history.length + input.length);
    buffer.set(this.history);
    buffer.set(input, this.history.length);
    const available = buffer.length - this.halfWidth - this.base;
    const out = new Float32Array(Math.max(0, Math.ceil(((available + 1) * this.phases) / this.inStep) + 1));
    let n = 0;
    const { bank, taps, phases, inStep, bankPhases } = this;
    // One sample of margin: a rounded-up phase reads one sample further.
    while (this.base + this.halfWidth + 1 < buffer.length) {
      let filter = Math.round((this.phase * bankPhases) / phases);
      let start = this.base - this.halfWidth + 1;
      if (filter === bankPhases) {
        // Rounded up to the next whole sample.
        filter = 0;
        start += 1;
      }
      const offset = filter * taps;
      let sum = 0;
      for (let j = 0; j < taps; j += 1) sum += buffer[start + j]! * bank[offset + j]!;
      out[n] = sum;
      n += 1;
      this.phase += inStep;
      this.base += Math.floor(this.phase / phases);
      this.phase %= phases;
    }
    // Keep what the next outputs still need.
    const keepFrom = Math.max(0, this.base - this.halfWidth);
    this.history = buffer.slice(keepFrom);
    this.base -= keepFrom;
    return out.subarray(0, n);
  }

  /** Pads with silence to emit the last samples. */
  flush(): Float32Array {
    if (this.fromRate === this.toRate) return new Float32Array(0);
    const position = this.base + this.phase / this.phases;
    const remaining = Math.max(0, Math.ceil(((this.history.length - position) * this.phases) / this.inStep));
    const out = this.push(new Float32Array(this.halfWidth + 1));
    return out.subarray(0, Math.min(out.length, remaining));
  }
}
