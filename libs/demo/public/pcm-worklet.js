// @ts-check
/**
 * Runs on the audio thread: turns the microphone's samples (at the AudioContext's rate, usually 48 kHz) into 16 kHz
 * mono signed 16-bit PCM — the streaming API's default format — in blocks of 100 ms, each posted to the page with
 * its input level. The resampler is a windowed-sinc low-pass interpolator: dropping samples without the filter
 * would fold everything above 8 kHz back into the speech band.
 */

const TARGET_RATE = 16_000;
const BLOCK_SAMPLES = 1600; // 100 ms at 16 kHz: small enough for live partials, large enough to keep frames few
const HALF_TAPS = 16; // kernel half-width, in samples of the slower of the two rates
const PHASES = 512; // kernel table resolution between two input samples

/**
 * The low-pass kernel sinc · Blackman window, tabulated over distances 0…halfWidth input samples.
 * @param {number} cutoff as a fraction of the input rate
 * @param {number} halfWidth in input samples
 */
function kernelTable(cutoff, halfWidth) {
  const table = new Float32Array(halfWidth * PHASES + 1);
  for (let i = 0; i < table.length; i++) {
    const x = i / PHASES; // distance in input samples
    const arg = Math.PI * 2 * cutoff * x;
    const sinc = x === 0 ? 2 * cutoff : Math.sin(arg) / (Math.PI * x);
    const w = x / halfWidth;
    const blackman = 0.42 + 0.5 * Math.cos(Math.PI * w) + 0.08 * Math.cos(2 * Math.PI * w);
    table[i] = sinc * blackman;
  }
  return table;
}

class PcmEncoder extends AudioWorkletProcessor {
  constructor() {
    super();
    const ratio = sampleRate / TARGET_RATE; // input samples per output sample
    /** Cutoff as a fraction of the input rate: 0.5 of the slower rate, a little under it to leave a transition. */
    this.cutoff = 0.5 * Math.min(1, 1 / ratio) * 0.92;
    this.step = ratio;
    /** The kernel spans HALF_TAPS samples of the slower rate each side, counted in input samples. */
    this.halfWidth = Math.ceil(HALF_TAPS * Math.max(1, ratio));
    this.table = kernelTable(this.cutoff, this.halfWidth);
    /** Input history: enough for the kernel's width around the next output position. */
    this.history = new Float32Array(this.halfWidth * 2 + 256);
    this.held = 0; // valid samples at the start of history
    this.position = this.halfWidth; // next output's position in history, in input samples (fractional)
    this.block = new Int16Array(BLOCK_SAMPLES);
    this.filled = 0;
    this.sumSquares = 0;
    this.peak = 0;
  }

  /** @param {number} distance */
  weight(distance) {
    const index = Math.abs(distance) * PHASES;
    const i = Math.floor(index);
    if (i >= this.table.length - 1) return 0;
    const frac = index - i;
    return this.table[i] * (1 - frac) + this.table[i + 1] * frac;
  }

  /** @param {Float32Array} input */
  push(input) {
    if (this.held + input.length > this.history.length) {
      const grown = new Float32Array((this.held + input.length) * 2);
      grown.set(this.history.subarray(0, this.held));
      this.history = grown;
    }
    this.history.set(input, this.held);
    this.held += input.length;
    while (this.position + this.halfWidth < this.held) {
      const centre = Math.floor(this.position);
      let sum = 0;
      for (let k = centre - this.halfWidth + 1; k <= centre + this.halfWidth; k++) {
        sum += this.history[k] * this.weight(this.position - k);
      }
      this.emit(sum);
      this.position += this.step;
    }
    // Keep what the next outputs still need; positions move with the samples.
    const keepFrom = Math.max(0, Math.floor(this.position) - this.halfWidth);
    this.history.copyWithin(0, keepFrom, this.held);
    this.held -= keepFrom;
    this.position -= keepFrom;
  }

  /** @param {number} sample */
  emit(sample) {
    const clipped = Math.max(-1, Math.min(1, sample));
    this.block[this.filled++] = clipped < 0 ? clipped * 0x8000 : clipped * 0x7fff;
    this.sumSquares += clipped * clipped;
    this.peak = Math.max(this.peak, Math.abs(clipped));
    if (this.filled === BLOCK_SAMPLES) {
      const rms = Math.sqrt(this.sumSquares / BLOCK_SAMPLES);
      const pcm = this.block.buffer;
      this.port.postMessage({ pcm, rms, peak: this.peak }, [pcm]);
      this.block = new Int16Array(BLOCK_SAMPLES);
      this.filled = 0;
      this.sumSquares = 0;
      this.peak = 0;
    }
  }

  /** @param {Float32Array[][]} inputs */
  process(inputs) {
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true;
    if (channels.length === 1) {
      this.push(channels[0]);
    } else {
      // Down-mix: the average of the channels, as the server would do.
      const mixed = new Float32Array(channels[0].length);
      for (const channel of channels) for (let i = 0; i < mixed.length; i++) mixed[i] += channel[i] / channels.length;
      this.push(mixed);
    }
    return true;
  }
}

registerProcessor('pcm-encoder', PcmEncoder);
