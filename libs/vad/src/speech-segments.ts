import { GrowableSamples, TARGET_SAMPLE_RATE } from '@asr/audio';
import type { VadFrameQueue } from './vad-batcher';
import { lanedProbabilities, type VadTiming } from './frame-probabilities';
import { Segmenter, type SegmenterSettings, type SpeechSpan } from './segmenter';

export interface SpeechSegment extends SpeechSpan {
  /** The span's audio (16 kHz mono), when asked for. */
  samples?: Float32Array;
}

/** Audio from `base` on, growing at the end and dropped from the front when no span can need it. */
class RetainedAudio {
  private readonly held = new GrowableSamples(TARGET_SAMPLE_RATE * 4);
  base = 0;

  append(block: Float32Array): void {
    this.held.append(block);
  }

  slice(start: number, end: number): Float32Array {
    return this.held.slice(start - this.base, end - this.base);
  }

  dropBefore(at: number): void {
    const drop = Math.min(this.held.length, at - this.base);
    if (drop < TARGET_SAMPLE_RATE) return; // compact in steps of a second or more
    this.held.dropFront(drop);
    this.base += drop;
  }
}

/** How a recording's frame probabilities are computed: lanes > 1 batches a recording that is all there. */
export interface SegmentationOptions {
  settings: SegmenterSettings;
  withAudio: boolean;
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
  const { settings, withAudio, lanes, timing = { vadMs: 0 } } = options;
  const segmenter = new Segmenter(settings);
  const audio = new RetainedAudio();
  let total = 0;
  const emit = (open: SpeechSpan): SpeechSegment => {
    const span = { ...open, end: Math.min(open.end, total) };
    return withAudio ? { ...span, samples: audio.slice(span.start, span.end) } : span;
  };
  async function* retained(): AsyncGenerator<Float32Array> {
    for await (const block of blocks) {
      if (withAudio) audio.append(block);
      total += block.length;
      yield block;
    }
  }
  for await (const probability of lanedProbabilities(retained(), batcher, lanes, timing)) {
    for (const event of segmenter.push(probability)) if (event.type === 'speech-end') yield emit(event.span);
    if (withAudio) audio.dropBefore(segmenter.neededFrom);
  }
  for (const event of segmenter.finish(total)) if (event.type === 'speech-end') yield emit(event.span);
}
