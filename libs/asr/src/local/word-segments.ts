import type { TranscriptSegment, TranscriptWord } from '../transcript';

/** A pause this long between words starts a new segment. */
const PAUSE_S = 0.6;
const MAX_SEGMENT_S = 15;

/** Groups timed words into segments at pauses (and at 15 s at most), for subtitles and verbose_json. */
export function wordsToSegments(words: TranscriptWord[]): Omit<TranscriptSegment, 'id'>[] {
  const segments: Omit<TranscriptSegment, 'id'>[] = [];
  let current: TranscriptWord[] = [];
  const flush = (): void => {
    if (current.length === 0) return;
    segments.push({
      start: current[0]!.start,
      end: current[current.length - 1]!.end,
      text: current.map((w) => w.word).join(' '),
      words: current,
    });
    current = [];
  };
  for (const word of words) {
    const previous = current[current.length - 1];
    if (previous && (word.start - previous.end >= PAUSE_S || word.end - current[0]!.start > MAX_SEGMENT_S)) flush();
    current.push(word);
  }
  flush();
  return segments;
}
