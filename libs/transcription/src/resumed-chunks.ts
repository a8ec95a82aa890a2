import type { FinishedChunk } from './chunk-merger';
import { chunkSpan, type SpeechChunk } from './speech-chunks';

/**
 * Chunks an earlier run of the same audio finished, handed out in order while the VAD cuts the audio the same way
 * (it does for the same file and settings): the first chunk that differs ends the reuse, and everything from it on
 * is transcribed again.
 */
export class ResumedChunks {
  private readonly left: FinishedChunk[];

  constructor(finished: readonly FinishedChunk[]) {
    this.left = [...finished];
  }

  /** The finished chunk covering the same speech as `chunk`, next in line; undefined (and no more reuse) if none. */
  take(chunk: SpeechChunk): FinishedChunk | undefined {
    const next = this.left[0];
    if (!next) return undefined;
    const span = chunkSpan(chunk);
    // Times are saved rounded to the millisecond.
    if (Math.abs(next.start - span.start) > 0.002 || Math.abs(next.end - span.end) > 0.002) {
      this.left.length = 0;
      return undefined;
    }
    return this.left.shift();
  }
}
