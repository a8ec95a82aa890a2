import type { ChunkTranscript } from '@asr/asr';
import { TARGET_SAMPLE_RATE } from '@asr/audio';
import { ChunkMerger, type FinishedChunk } from './chunk-merger';
import type { SpeechChunk } from './speech-chunks';

/** A chunk of speech spans `[originalStart, duration]` joined with 0.3 s pauses, as speechChunks builds them. */
function chunkOf(...spans: [originalStart: number, duration: number][]): SpeechChunk {
  let at = 0;
  const pieces = spans.map(([originalStart, duration]) => {
    const piece = { chunkStart: at, originalStart, duration };
    at += duration + 0.3;
    return piece;
  });
  return { samples: new Float32Array(Math.round((at - 0.3) * TARGET_SAMPLE_RATE)), pieces };
}

function word(text: string, start: number, end: number): { word: string; start: number; end: number } {
  return { word: text, start, end };
}

const merger = (overrides: { language?: string; wordTimestamps?: boolean } = {}): ChunkMerger =>
  new ChunkMerger({ wordTimestamps: true, provider: 'openai', ...overrides });

describe('ChunkMerger', () => {
  it("maps segment and word times from the chunk's to the recording's", () => {
    const result: ChunkTranscript = {
      text: 'hello world',
      language: 'en',
      segments: [
        { start: 0.25, end: 1.5, text: 'hello world', words: [word('hello', 0.25, 0.7), word('world', 0.8, 1.5)] },
      ],
    };
    const merged = merger();
    const finished = merged.addTranscribed(chunkOf([12, 2]), result);
    expect(finished).toEqual({
      start: 12,
      end: 14,
      language: 'en',
      segments: [
        {
          id: 0,
          start: 12.25,
          end: 13.5,
          text: 'hello world',
          words: [word('hello', 12.25, 12.7), word('world', 12.8, 13.5)],
        },
      ],
    });
    expect(merged.transcript(20).segments).toEqual(finished.segments);
  });

  it('splits a segment at the pause between two joined speech spans, each part on its own span', () => {
    const result: ChunkTranscript = {
      text: 'one two three',
      segments: [
        {
          start: 0.1,
          end: 2.5,
          text: 'one two three',
          words: [word('one', 0.1, 0.4), word('two', 0.5, 0.9), word('three', 1.4, 2.5)],
        },
      ],
    };
    const segments = merger({ wordTimestamps: false }).addTranscribed(chunkOf([5, 1], [9, 2]), result).segments;
    expect(segments).toEqual([
      { id: 0, start: 5.1, end: 5.9, text: 'one two' },
      { id: 1, start: 9.1, end: 10.2, text: 'three' },
    ]);
  });

  it('numbers segments on across chunks, reused ones keeping their ids', () => {
    const merged = merger({ wordTimestamps: false });
    const first = merged.addTranscribed(chunkOf([0, 3]), {
      text: 'a b',
      segments: [
        { start: 0, end: 1, text: 'a' },
        { start: 1, end: 2, text: 'b' },
      ],
    });
    const reused: FinishedChunk = {
      start: 4,
      end: 6,
      language: 'en',
      segments: [{ id: 2, start: 4.5, end: 5.5, text: 'c' }],
    };
    merged.addFinished(reused);
    const last = merged.addTranscribed(chunkOf([8, 2]), { text: 'd', segments: [{ start: 0, end: 1, text: 'd' }] });
    expect(first.segments.map((s) => s.id)).toEqual([0, 1]);
    expect(last.segments).toEqual([{ id: 3, start: 8, end: 9, text: 'd' }]);
    const transcript = merged.transcript(10.0004);
    expect(transcript.segments.map((s) => [s.id, s.text])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
      [3, 'd'],
    ]);
    expect(transcript.text).toBe('a b c d');
    expect(transcript.duration).toBe(10);
  });

  it('adds nothing for an empty chunk (and drops empty segments), ids unaffected', () => {
    const merged = merger();
    const empty = merged.addTranscribed(chunkOf([1, 1]), { text: '', language: 'de', segments: [] });
    const blank = merged.addTranscribed(chunkOf([3, 1]), { text: '', segments: [{ start: 0, end: 1, text: '' }] });
    const next = merged.addTranscribed(chunkOf([5, 1]), { text: 'x', segments: [{ start: 0, end: 0.5, text: 'x' }] });
    expect(empty).toEqual({ start: 1, end: 2, language: 'de', segments: [] });
    expect(blank.segments).toEqual([]);
    expect(next.segments.map((s) => s.id)).toEqual([0]);
    expect(merged.transcript(6)).toEqual({
      text: 'x',
      language: 'de',
      duration: 6,
      segments: [{ id: 0, start: 5, end: 5.5, text: 'x' }],
    });
  });

  it('leaves words out unless asked for', () => {
    const result: ChunkTranscript = {
      text: 'hi',
      segments: [{ start: 0, end: 0.5, text: 'hi', words: [word('hi', 0, 0.5)] }],
    };
    expect(merger({ wordTimestamps: false }).addTranscribed(chunkOf([2, 1]), result).segments[0]).not.toHaveProperty(
      'words',
    );
  });

  it('keeps the requested language; otherwise the first one a chunk reports; English when none does', () => {
    const chunk = chunkOf([0, 1]);
    const french: ChunkTranscript = { text: '', language: 'fr', segments: [] };
    const german: ChunkTranscript = { text: '', language: 'de', segments: [] };
    const asked = merger({ language: 'es' });
    asked.addTranscribed(chunk, french);
    expect(asked.transcript(1).language).toBe('es');
    const reported = merger();
    reported.addTranscribed(chunk, { text: '', segments: [] });
    reported.addTranscribed(chunk, french);
    reported.addTranscribed(chunk, german);
    expect(reported.transcript(1).language).toBe('fr');
    expect(merger().transcript(0).language).toBe('en');
  });

  it('names every provider that served a chunk, in order, and the configured one when none was asked', () => {
    expect(merger().provider).toBe('openai');
    const merged = merger();
    const chunk = chunkOf([0, 1]);
    merged.addTranscribed(chunk, { text: '', segments: [] });
    merged.addTranscribed(chunk, { provider: 'local', text: '', segments: [] });
    merged.addTranscribed(chunk, { text: '', segments: [] });
    expect(merged.provider).toBe('openai+local');
    const fallbackOnly = merger();
    fallbackOnly.addTranscribed(chunk, { provider: 'local', text: '', segments: [] });
    expect(fallbackOnly.provider).toBe('local');
  });
});
