import { readFileSync } from 'node:fs';
import { createAsrClient, transcribe } from '../tools/sdk/src';
import { librivoxSamples } from './support/speech';
import { startTestApp, type TestApp } from './support/test-app';
import { corpusWer } from './support/wer';

// The client in tools/sdk is generated from the committed openapi.json (`npm run sdk:build`, part of npm test).
describe('the typed client generated from openapi.json', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('transcribes a file and reads typed fields of the answer', async () => {
    const speech = librivoxSamples()[4]!;
    const client = createAsrClient(t.url);
    const result = await transcribe(client, new Blob([readFileSync(speech.file)]), 'speech.wav', {
      timestamps: 'word',
    });
    expect(result.provider).toBe('local');
    expect(result.words?.length).toBeGreaterThan(3);
    expect(result.segments[0]?.start).toBeGreaterThanOrEqual(0);
    expect(corpusWer([{ reference: speech.reference, hypothesis: result.text }])).toBeLessThan(45);
  });

  it('reads the provider description', async () => {
    const { data } = await createAsrClient(t.url).GET('/api/v1/providers');
    expect(data?.capabilities.languages).toEqual(['en']);
  });
});
