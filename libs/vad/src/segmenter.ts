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
  /** Probabilities of the current span's last second, for the split rule. */
  private recent: { at: number; probability: number }[] = [];

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

  /** The probability of the next frame; returns the events it causes. */
  push(probability: number): SegmenterEvent[] {
    const at = this.frame * FRAME_SAMPLES;
    const end = at + FRAME_SAMPLES;
    this.frame += 1;
    const events: SegmenterEvent[] = [];
    const s = this.settings;
    if (!this.inSpeech) {
      if (probability >= s.threshold) {
        this.startSpeech(at);
        events.push({ type: 'speech-start', at: Math.max(this.lastEnd, at - s.padSamples) });
        this.track(at, probability);
      }
      return events;
    }
    this.track(at, probability);
    if (probability < s.negThreshold) {
      this.silenceStart ??= at;
      if (end - this.silenceStart >= s.minSilenceSamples) this.endSpeech(this.silenceStart, events);
    } else {
      this.silenceStart = undefined;
    }
    if (this.inSpeech && end - this.speechStart >= s.maxSpeechSamples) {
      const cut = this.quietestRecent();
      this.endSpeech(cut, events, false);
      this.startSpeech(cut);
      this.continued = true;
      events.push({ type: 'speech-start', at: cut });
    }
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
    this.recent = [];
  }

  private track(at: number, probability: number): void {
    this.probabilitySum += probability;
    this.frames += 1;
    this.recent.push({ at, probability });
    const second = Math.ceil(TARGET_SAMPLE_RATE / FRAME_SAMPLES);
    if (this.recent.length > second) this.recent.shift();
  }

  /** The least speech-like frame of the last second that leaves the first part at least the minimum speech. */
  private quietestRecent(): number {
    const earliest = this.speechStart + Math.max(1, this.settings.minSpeechSamples);
    let best: { at: number; probability: number } | undefined;
    for (const entry of this.recent)
      if (entry.at >= earliest && (best === undefined || entry.probability < best.probability)) best = entry;
    return best?.at ?? this.recent[this.recent.length - 1]!.at;
  }

  private endSpeech(
    at: number,
    events: SegmenterEvent[],
    pad = true,
    limit = Number.POSITIVE_INFINITY,
    kept = false,
  ): void {
    this.inSpeech = false;
    const s = this.settings;
    const start = Math.max(this.lastEnd, this.speechStart - s.padSamples);
    const end = Math.min(limit, pad ? at + s.padSamples : at);
    const probability = this.frames > 0 ? this.probabilitySum / this.frames : 0;
    this.silenceStart = undefined;
    if (at - this.speechStart < s.minSpeechSamples && !this.continued && !kept) return;
    this.lastEnd = end;
    events.push({ type: 'speech-end', span: { start, end, probability } });
  }
}
