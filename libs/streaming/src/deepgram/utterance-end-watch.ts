/**
 * When Deepgram's `UtteranceEnd` is due (`utterance_end_ms`): once the VAD has heard a gap of that much audio after
 * the last word of a final, and no utterance is open or waiting for its final (its words would move the last word).
 * Its clock is the audio, as every time in a session is: the audio heard, not the wall clock.
 */
export class UtteranceEndWatch {
  /** The end of the last word of the finals not yet followed by an UtteranceEnd. */
  private lastWordEnd: number | undefined;
  /** How far into the stream the VAD has heard. */
  private heardUpTo = 0;

  constructor(private readonly gapS: number) {}

  /** The VAD has heard the audio up to `clockS`; the last word's end when an UtteranceEnd is due now. */
  advance(clockS: number, quiet: boolean): number | undefined {
    this.heardUpTo = Math.max(this.heardUpTo, clockS);
    return this.due(quiet);
  }

  /** A final was sent, ending with a word at `lastWordEnd` (none: it had no text). A final may come late: due now. */
  finalSent(lastWordEnd: number | undefined, quiet: boolean): number | undefined {
    if (lastWordEnd !== undefined) this.lastWordEnd = Math.max(this.lastWordEnd ?? 0, lastWordEnd);
    return this.due(quiet);
  }

  private due(quiet: boolean): number | undefined {
    const end = this.lastWordEnd;
    if (!quiet || end === undefined || this.heardUpTo < end + this.gapS) return undefined;
    this.lastWordEnd = undefined;
    return end;
  }
}
