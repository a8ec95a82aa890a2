import type { ChunkTranscript } from '@asr/asr';
import { TARGET_SAMPLE_RATE } from '@asr/audio';
import { FRAME_SAMPLES } from '@asr/vad';
import { ChunkMerger } from './chunk-merger';
import { meanSpeechProbability, type SpeechChunk } from './speech-chunks';

const FRAME_S = FRAME_SAMPLES / TARGET_SAMPLE_RATE;

/**
 * One speech span from `originalStart` (on a frame boundary) with the VAD's probability of each of its frames,
 * as speechChunks builds it from a SpeechSegment that carries them.
 */
function chunkWith(originalStart: number, probabilities: number[]): SpeechChunk {
  const duration = probabilities.length * FRAME_S;
  return {
    samples: new Float32Array(Math.round(duration * TARGET_SAMPLE_RATE)),
    pieces: [
      {
        chunkStart: 0,
        originalStart,
        duration,
        probabilities: Float32Array.from(probabilities),
        framesFrom: originalStart,
      },
    ],
  };
}

/** 20 frames of speech at 0.9, then 20 at 0.5. */
const PROBABILITIES = [...Array<number>(20).fill(0.9), ...Array<number>(20).fill(0.5)];
const START = 10 * FRAME_S;

describe('segment scores from the VAD and the engine', () => {
  it('averages the frames a stretch of the recording overlaps', () => {
    const chunk = chunkWith(START, PROBABILITIES);
    expect(meanSpeechProbability(chunk, START, START + 20 * FRAME_S)).toBeCloseTo(0.9, 5);
    expect(meanSpeechProbability(chunk, START + 20 * FRAME_S, START + 40 * FRAME_S)).toBeCloseTo(0.5, 5);
    expect(meanSpeechProbability(chunk, START + 10 * FRAME_S, START + 30 * FRAME_S)).toBeCloseTo(0.7, 5);
    // Outside the span: nothing known.
    expect(meanSpeechProbability(chunk, 0, START - 0.001)).toBeUndefined();
  });

  it('gives a segment 1 − the VAD’s speech probability and the mean log of its words’ confidences', () => {
    const result: ChunkTranscript = {
      text: 'loud quiet',
      segments: [
        {
          start: 0,
          end: 20 * FRAME_S,
          text: 'loud',
          words: [{ word: 'loud', start: 0, end: 20 * FRAME_S, confidence: 0.8 }],
        },
        {
          start: 20 * FRAME_S,
          end: 40 * FRAME_S,
          text: 'quiet',
          words: [
            { word: 'qui', start: 20 * FRAME_S, end: 30 * FRAME_S, confidence: 0.5 },
            { word: 'et', start: 30 * FRAME_S, end: 40 * FRAME_S, confidence: 0.25 },
          ],
        },
      ],
    };
    const merger = new ChunkMerger({ wordTimestamps: false, provider: 'local', logprobs: true });
    const finished = merger.addTranscribed(chunkWith(START, PROBABILITIES), result);
    const [loud, quiet] = finished.segments;
    expect(loud!.noSpeechProb).toBeCloseTo(0.1, 3);
    expect(quiet!.noSpeechProb).toBeCloseTo(0.5, 3);
    expect(loud!.avgLogprob).toBeCloseTo(Math.log(0.8), 4);
    expect(quiet!.avgLogprob).toBeCloseTo((Math.log(0.5) + Math.log(0.25)) / 2, 4);
    // Words were not asked for: they are gone from the segments, their logprobs kept.
    expect(loud).not.toHaveProperty('words');
    expect(finished.logprobs!.map((t) => t.token)).toEqual(['loud', ' qui', ' et']);
    expect(merger.tokenLogprobs!.map((t) => t.logprob)).toEqual(
      [0.8, 0.5, 0.25].map((c) => Math.round(Math.log(c) * 1e4) / 1e4),
    );
  });

  it('keeps a provider’s own figures and speaker, and its logprobs, over what it would compute', () => {
    const own = {
      avgLogprob: -0.3,
      noSpeechProb: 0.04,
      compressionRatio: 1.2,
      temperature: 0.2,
      tokens: [1, 2],
      speaker: 'agent',
    };
    const logprobs = [{ token: 'hi', logprob: -0.01, bytes: [104, 105] }];
    const merger = new ChunkMerger({ wordTimestamps: false, provider: 'openai', logprobs: true });
    const finished = merger.addTranscribed(chunkWith(START, PROBABILITIES), {
      text: 'hi',
      logprobs,
      segments: [{ start: 0, end: 1, text: 'hi', words: [{ word: 'hi', start: 0, end: 1, confidence: 0.1 }], ...own }],
    });
    expect(finished.segments[0]).toMatchObject(own);
    expect(merger.tokenLogprobs).toEqual(logprobs);
  });

  it('sums token usage over the chunks, and reports none once a chunk came without', () => {
    const usage = { inputTokens: 10, outputTokens: 3, totalTokens: 13, audioTokens: 9 };
    const chunk = (): SpeechChunk => chunkWith(START, PROBABILITIES);
    const answer: ChunkTranscript = { text: 'a', segments: [{ start: 0, end: 1, text: 'a' }], usage };
    const merger = new ChunkMerger({ wordTimestamps: false, provider: 'openai' });
    merger.addTranscribed(chunk(), answer);
    merger.addTranscribed(chunk(), answer);
    expect(merger.tokenUsage).toEqual({ inputTokens: 20, outputTokens: 6, totalTokens: 26, audioTokens: 18 });
    expect(merger.tokenLogprobs).toBeUndefined();
    merger.addTranscribed(chunk(), { ...answer, usage: undefined });
    expect(merger.tokenUsage).toBeUndefined();
  });

  it('fills the no-speech figure of a resumed chunk saved without one from this run’s VAD', () => {
    const merger = new ChunkMerger({ wordTimestamps: false, provider: 'local' });
    const saved = {
      start: START,
      end: START + 40 * FRAME_S,
      language: 'en',
      segments: [{ id: 0, start: START, end: START + 20 * FRAME_S, text: 'a' }],
    };
    merger.addFinished(saved, chunkWith(START, PROBABILITIES));
    expect(merger.transcript(5).segments[0]!.noSpeechProb).toBeCloseTo(0.1, 3);
  });
});
