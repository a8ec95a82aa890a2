import type { Transcript } from '@asr/asr';
import type { ListenResponseOptions } from './listen-options';
import { stableUuid } from '@asr/streaming';
import { toListenResponse } from './listen-response';

const TRANSCRIPT: Transcript = {
  text: 'Hello, world. Good day',
  language: 'en',
  duration: 4.2,
  segments: [
    {
      id: 0,
      start: 0.3,
      end: 1.5,
      text: 'Hello, world.',
      words: [
        { word: 'Hello,', start: 0.3, end: 0.8, confidence: 0.9 },
        { word: 'world.', start: 0.9, end: 1.5, confidence: 0.7 },
      ],
    },
    { id: 1, start: 2.5, end: 3.6, text: 'Good day', words: [{ word: 'Good', start: 2.5, end: 3.0 }] },
  ],
};

const PLAIN: ListenResponseOptions = {
  utterances: false,
  paragraphs: false,
  detectLanguage: false,
  tags: [],
  extra: {},
  warnings: [],
};

const input = (options: Partial<ListenResponseOptions> = {}): Parameters<typeof toListenResponse>[0] => ({
  requestId: 'req-1',
  created: '2026-12-01T10:00:00.000Z',
  sha256: 'ab'.repeat(32),
  transcript: TRANSCRIPT,
  model: 'pocketsphinx-en-us',
  provider: 'local',
  options: { ...PLAIN, ...options },
});

describe('toListenResponse', () => {
  it("fills every field Deepgram's SDK marks required, one channel and one alternative", () => {
    const response = toListenResponse(input());
    const modelId = stableUuid('local/pocketsphinx-en-us');
    expect(response.metadata).toEqual({
      request_id: 'req-1',
      sha256: 'ab'.repeat(32),
      created: '2026-12-01T10:00:00.000Z',
      duration: 4.2,
      channels: 1,
      models: [modelId],
      model_info: { [modelId]: { name: 'pocketsphinx-en-us', arch: 'local' } },
    });
    expect(response.results.channels).toHaveLength(1);
    const [alternative] = response.results.channels[0]!.alternatives;
    expect(alternative!.transcript).toBe('Hello, world. Good day');
    // The mean of the confidences the engine gave; the word without one does not count as 0.
    expect(alternative!.confidence).toBe(0.8);
    expect(alternative!.words).toEqual([
      { word: 'hello', start: 0.3, end: 0.8, confidence: 0.9, punctuated_word: 'Hello,' },
      { word: 'world', start: 0.9, end: 1.5, confidence: 0.7, punctuated_word: 'world.' },
      { word: 'good', start: 2.5, end: 3, punctuated_word: 'Good' },
    ]);
    expect(response.results.utterances).toBeUndefined();
    expect(alternative!.paragraphs).toBeUndefined();
  });

  it('adds utterances and paragraphs per speech segment, the detected language, warnings, tags and extra', () => {
    const warnings = [{ parameter: 'diarize', type: 'unsupported_feature', message: 'no' }];
    const response = toListenResponse(
      input({
        utterances: true,
        paragraphs: true,
        detectLanguage: true,
        tags: ['t'],
        extra: { k: 'v' },
        warnings,
      }),
    );
    expect(response.metadata).toMatchObject({ warnings, tags: ['t'], extra: { k: 'v' } });
    expect(response.results.channels[0]!.detected_language).toBe('en');
    const utterances = response.results.utterances!;
    expect(utterances.map((u) => [u.start, u.end, u.transcript, u.channel, u.words.length])).toEqual([
      [0.3, 1.5, 'Hello, world.', 0, 2],
      [2.5, 3.6, 'Good day', 0, 1],
    ]);
    expect(utterances[0]!.confidence).toBe(0.8);
    expect(utterances[1]!.confidence).toBeUndefined();
    // Stable ids: a retried callback carries the same ones.
    expect(utterances[0]!.id).toBe(toListenResponse(input({ utterances: true })).results.utterances![0]!.id);
    expect(utterances[0]!.id).not.toBe(utterances[1]!.id);
    const paragraphs = response.results.channels[0]!.alternatives[0]!.paragraphs!;
    expect(paragraphs.transcript).toBe('\nHello, world.\n\nGood day');
    expect(paragraphs.paragraphs).toEqual([
      { sentences: [{ text: 'Hello, world.', start: 0.3, end: 1.5 }], num_words: 2, start: 0.3, end: 1.5 },
      { sentences: [{ text: 'Good day', start: 2.5, end: 3.6 }], num_words: 1, start: 2.5, end: 3.6 },
    ]);
  });

  it('answers an empty transcript with an empty alternative, no confidence invented', () => {
    const response = toListenResponse({ ...input(), transcript: { ...TRANSCRIPT, text: '', segments: [] } });
    expect(response.results.channels[0]!.alternatives).toEqual([{ transcript: '', words: [] }]);
  });
});

describe('stableUuid', () => {
  it('is UUID-shaped and the same for the same seed', () => {
    expect(stableUuid('a')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(stableUuid('a')).toBe(stableUuid('a'));
    expect(stableUuid('a')).not.toBe(stableUuid('b'));
  });
});
