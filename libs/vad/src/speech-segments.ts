import { GrowableSamples, TARGET_SAMPLE_RATE } from '@asr/audio';
import type { VadFrameQueue } from './vad-batcher';
import { LANE_FRAMES, lanedProbabilities, type VadTiming } from './frame-probabilities';
import { FRAME_SAMPLES } from './vad-backend';
import { Segmenter, type SegmenterSettings, type SpeechSpan } from './segmenter';

export interface SpeechSegment extends SpeechSpan {
  /** The span's audio (16 kHz mono), when asked for. */
  samples?: Float32Array;
  /**
   * When asked for: the speech probability of every 512-sample frame the span overlaps, from the frame holding its
   * first sample (`Math.floor(start / FRAME_SAMPLES)`) on. Padding included: the mean over part of a span says how
   * speech-like that part was (OpenAI's no_speech_prob is made from it).
   */
  probabilities?: Float32Array;
}

/** Values from `base` on (samples, or frame probabilities), growing at the end, dropped from the front when unneeded. */
class Retained {
  private readonly held: GrowableSamples;
  base = 0;

  /** `step`: compact in steps of this many values or more (a second of audio; 8 s of probabilities). */
  constructor(private readonly step = TARGET_SAMPLE_RATE) {
    this.held = new GrowableSamples(step * 4);
  }

  append(block: Float32Array): void {
    this.held.append(block);
  }

  slice(start: number, end: number): Float32Array {
    return this.held.slice(start - this.base, end - this.base);
  }

  dropBefore(at: number): void {
    const drop = Math.min(this.held.length, at - this.base);
    if (drop < this.step) return;
    this.held.dropFront(drop);
    this.base += drop;
  }
}

/** How a recording's frame probabilities are computed: lanes > 1 batches a recording that is all there. */
export interface SegmentationOptions {
  settings: SegmenterSettings;
  withAudio: boolean;
  /** Each span's frame probabilities too (SpeechSegment.probabilities). */
  withProbabilities?: boolean;
  lanes: number;
  timing?: VadTiming;
}

/**
 * The speech spans of a recording, as it is decoded: frame probabilities through the shared batcher (this
 * recording's state kept there), the segmenter over them, and — with `withAudio` — each span's samples.
 * Time spent waiting for inference is added to `timing.vadMs`.
 */
export async function* speechSegments(
  blocks: AsyncIterable<Float32Array>,
  batcher: VadFrameQueue,
  options: SegmentationOptions,
): AsyncGenerator<SpeechSegment> {
  const { settings, withAudio, withProbabilities = false, lanes, timing = { vadMs: 0 } } = options;
  const segmenter = new Segmenter(settings);
  const audio = new Retained();
  const frames = new Retained(LANE_FRAMES);
  const frame = new Float32Array(1);
  let total = 0;
  const emit = (open: SpeechSpan): SpeechSegment => {
    const span: SpeechSegment = { ...open, end: Math.min(open.end, total) };
    if (withAudio) span.samples = audio.slice(span.start, span.end);
    if (withProbabilities)
      span.probabilities = frames.slice(Math.floor(span.start / FRAME_SAMPLES), Math.ceil(span.end / FRAME_SAMPLES));
    return span;
  };
  async function* retained(): AsyncGenerator<Float32Array> {
    for await (const block of blocks) {
      if (withAudio) audio.append(block);
      total += block.length;
      yield block;
    }
  }
  for await (const probability of lanedProbabilities(retained(), batcher, lanes, timing)) {
    if (withProbabilities) {
      frame[0] = probability;
      frames.append(frame);
    }
    for (const event of segmenter.push(probability)) if (event.type === 'speech-end') yield emit(event.span);
    if (withAudio) audio.dropBefore(segmenter.neededFrom);
    if (withProbabilities) frames.dropBefore(Math.floor(segmenter.neededFrom / FRAME_SAMPLES));
  }
  for (const event of segmenter.finish(total)) if (event.type === 'speech-end') yield emit(event.span);
}
