import { TARGET_SAMPLE_RATE } from '@asr/audio';
import { FRAME_SAMPLES } from './vad-backend';

/** Segmentation settings, in samples at 16 kHz (see SegmenterSettings.fromMs). */
export interface SegmenterSettings {
  threshold: number;
  negThreshold: number;
  minSilenceSamples: number;
  minSpeechSamples: number;
  padSamples: number;
  maxSpeechSamples: number;
}

export interface SegmenterSettingsMs {
  threshold: number;
  negThreshold: number;
  minSilenceMs: number;
  minSpeechMs: number;
  speechPadMs: number;
  maxSpeechS: number;
}

export function segmenterSettings(ms: SegmenterSettingsMs, rate = TARGET_SAMPLE_RATE): SegmenterSettings {
  return {
    threshold: ms.threshold,
    negThreshold: Math.min(ms.negThreshold, ms.threshold),
    minSilenceSamples: Math.round((ms.minSilenceMs * rate) / 1000),
    // A span cut at its maximum must leave a first part long enough to keep: the minimum is at most half the maximum.
    minSpeechSamples: Math.round(Math.min(ms.minSpeechMs / 1000, ms.maxSpeechS / 2) * rate),
    padSamples: Math.round((ms.speechPadMs * rate) / 1000),
    maxSpeechSamples: Math.round(ms.maxSpeechS * rate),
  };
}

/** Sample-accurate span of speech (padding included), with its mean probability. */
export interface SpeechSpan {
  start: number;
  end: number;
  probability: number;
}

export type SegmenterEvent = { type: 'speech-start'; at: number } | { type: 'speech-end'; span: SpeechSpan };

/** What most frames cause: one shared empty list (read only), so a frame of steady speech or silence allocates none. */
const NO_EVENTS: readonly SegmenterEvent[] = Object.freeze([]);

/** Frames in a second, the window the split rule looks back over. */
const RECENT_FRAMES = Math.ceil(TARGET_SAMPLE_RATE / FRAME_SAMPLES);

/**
 * Hysteresis segmenter over frame probabilities: speech starts at `threshold`, ends after `minSilence` below
 * `negThreshold`; spans shorter than `minSpeech` are dropped; spans are padded on both sides without overlapping
 * the previous one; a span reaching `maxSpeech` is cut at the least speech-like frame of its last second.
 */
export class Segmenter {
  private frame = 0;
  private inSpeech = false;
  private speechStart = 0;
  private silenceStart: number | undefined;
  private probabilitySum = 0;
  private frames = 0;
  private lastEnd = 0;
  /** The open span continues one cut at its maximum: it is speech already, never dropped as too short. */
  private continued = false;
  /** The current span's last second of frames, for the split rule: a ring of RECENT_FRAMES starts and probabilities. */
  private readonly recentAt = new Float64Array(RECENT_FRAMES);
  private readonly recentProbability = new Float64Array(RECENT_FRAMES);
  /** Frames tracked in the current span (the ring holds the last RECENT_FRAMES of them). */
  private tracked = 0;

  constructor(private settings: SegmenterSettings) {}

  /** New settings from the next frame on (a stream's `configure`); an open span keeps its start. */
  reconfigure(settings: SegmenterSettings): void {
    this.settings = settings;
  }

  get current(): SegmenterSettings {
    return this.settings;
  }

  /** Whether a span is open (it may still be dropped as too short when it ends). */
  get speaking(): boolean {
    return this.inSpeech;
  }

  /** Whether the open span has enough speech (trailing silence not counted) that it will not be dropped. */
  get kept(): boolean {
    const speechEnd = this.silenceStart ?? this.frame * FRAME_SAMPLES;
    return this.inSpeech && speechEnd - this.speechStart >= this.settings.minSpeechSamples;
  }

  /** The earliest sample a span still open (or about to open) may need: its padded start. */
  get neededFrom(): number {
    const at = this.frame * FRAME_SAMPLES;
    const from = this.inSpeech ? this.speechStart : at;
    return Math.max(this.lastEnd, from - this.settings.padSamples);
  }

  /** The probability of the next frame; returns the events it causes (a shared empty list when none: read only). */
  push(probability: number): readonly SegmenterEvent[] {
    const at = this.frame * FRAME_SAMPLES;
    const end = at + FRAME_SAMPLES;
    this.frame += 1;
    const s = this.settings;
    if (!this.inSpeech) {
      if (probability < s.threshold) return NO_EVENTS;
      this.startSpeech(at);
      this.track(at, probability);
      return [{ type: 'speech-start', at: Math.max(this.lastEnd, at - s.padSamples) }];
    }
    this.track(at, probability);
    if (probability >= s.negThreshold) {
      this.silenceStart = undefined;
    } else {
      this.silenceStart ??= at;
      if (end - this.silenceStart >= s.minSilenceSamples) return this.endSpeech(this.silenceStart, []);
    }
    if (end - this.speechStart < s.maxSpeechSamples) return NO_EVENTS;
    const cut = this.quietestRecent();
    const events = this.endSpeech(cut, [], false);
    this.startSpeech(cut);
    this.continued = true;
    events.push({ type: 'speech-start', at: cut });
    return events;
  }

  /** Ends an open span at the end of the audio, or now (a stream's `finalize`); later frames may start another. */
  finish(totalSamples: number): SegmenterEvent[] {
    const events: SegmenterEvent[] = [];
    // A span `kept` has reported (a stream announced it) is never dropped here, though the audio may end inside
    // its last frame (a padded partial frame), a little short of the minimum that frame counted towards.
    if (this.inSpeech) this.endSpeech(this.silenceStart ?? totalSamples, events, true, totalSamples, this.kept);
    return events;
  }

  private startSpeech(at: number): void {
    this.inSpeech = true;
    this.continued = false;
    this.speechStart = at;
    this.silenceStart = undefined;
    this.probabilitySum = 0;
    this.frames = 0;
    this.tracked = 0;
  }

  private track(at: number, probability: number): void {
    this.probabilitySum += probability;
    this.frames += 1;
    const slot = this.tracked % RECENT_FRAMES;
    this.recentAt[slot] = at;
    this.recentProbability[slot] = probability;
    this.tracked += 1;
  }

  /**
   * The least speech-like frame of the last second that leaves the first part at least the minimum speech (the
   * earliest of equals); the latest frame when none does. The first part is counted from where its span will start:
   * the speech start, or the end of the span before when the speech began inside that span's trailing pad (cut any
   * earlier, the first part would be empty).
   */
  private quietestRecent(): number {
    const earliest = Math.max(this.speechStart, this.lastEnd) + Math.max(1, this.settings.minSpeechSamples);
    const held = Math.min(this.tracked, RECENT_FRAMES);
    let best = -1;
    for (let k = this.tracked - held; k < this.tracked; k += 1) {
      const slot = k % RECENT_FRAMES;
      if (
        this.recentAt[slot]! >= earliest &&
        (best < 0 || this.recentProbability[slot]! < this.recentProbability[best]!)
      )
        best = slot;
    }
    return this.recentAt[best < 0 ? (this.tracked - 1) % RECENT_FRAMES : best]!;
  }

  private endSpeech(
    at: number,
    events: SegmenterEvent[],
    pad = true,
    limit = Number.POSITIVE_INFINITY,
    kept = false,
  ): SegmenterEvent[] {
    this.inSpeech = false;
    const s = this.settings;
    const start = Math.max(this.lastEnd, this.speechStart - s.padSamples);
    const end = Math.min(limit, pad ? at + s.padSamples : at);
    const probability = this.frames > 0 ? this.probabilitySum / this.frames : 0;
    this.silenceStart = undefined;
    if (at - this.speechStart < s.minSpeechSamples && !this.continued && !kept) return events;
    this.lastEnd = end;
    events.push({ type: 'speech-end', span: { start, end, probability } });
    return events;
  }
}
