import { sequence, speak } from './support/mixes';
import { corpusSentences } from './support/speech';
import { finalsOf, streamOnce, toPcm16 } from './support/stream-client';
import { startTestApp, type TestApp } from './support/test-app';
import { corpusWer } from './support/wer';

jest.setTimeout(120_000);

describe('streaming over WebSocket: local engine', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { LOCAL_ASR_CONCURRENCY: '2' } });
  });
  afterAll(() => t.close());

  it('streams speech at 4× real time and gets one final per utterance', async () => {
    const sentences = corpusSentences().slice(0, 4);
    const { clean } = sequence(speak(sentences), 2);
    const run = await streamOnce(t.url, toPcm16(clean), { bytesPerSecond: 32_000, pace: 4 });
    const finals = finalsOf(run);
    console.log(run.messages.map((m) => JSON.stringify(m)).join('\n'));
    expect(run.closeCode).toBe(1000);
    expect(finals.map((f) => f.segment_id)).toEqual(sentences.map((_, i) => i));
    const wer = corpusWer(sentences.map((reference, i) => ({ reference, hypothesis: finals[i]?.text ?? '' })));
    expect(wer).toBeLessThanOrEqual(35);
  });
});
