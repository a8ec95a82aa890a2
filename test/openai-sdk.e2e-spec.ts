import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI, { BadRequestError } from 'openai';
import { parseSync } from 'subtitle';
import { LIBRIVOX_DIR, librivoxSamples } from './support/speech';
import { startTestApp, type TestApp } from './support/test-app';
import { corpusWer } from './support/wer';

jest.setTimeout(120_000);

/** Two LibriVox sentences with a second of silence between: real speech, two segments. */
function twoSentences(): { file: string; reference: string } {
  const [a, b] = librivoxSamples().filter((s) => s.id.endsWith('0880') || s.id.endsWith('0930'));
  const dir = mkdtempSync(join(tmpdir(), 'asr-sdk-'));
  const padded = join(dir, 'first-then-silence.wav');
  const file = join(dir, 'two.wav');
  execFileSync('sox', [a!.file, padded, 'pad', '0', '1.2']);
  execFileSync('sox', [padded, join(LIBRIVOX_DIR, `${b!.id}.wav`), file]);
  return { file, reference: `${a!.reference} ${b!.reference}` };
}

describe('the official openai SDK pointed at this service', () => {
  let t: TestApp;
  let client: OpenAI;
  let audio: { file: string; reference: string };
  beforeAll(async () => {
    t = await startTestApp();
    client = new OpenAI({ baseURL: `${t.url}/v1`, apiKey: 'not-needed-locally', maxRetries: 0 });
    audio = twoSentences();
  });
  afterAll(() => t.close());

  const wer = (hypothesis: string): number => corpusWer([{ reference: audio.reference, hypothesis }]);

  it('json', async () => {
    const result = await client.audio.transcriptions.create({ file: createReadStream(audio.file), model: 'whisper-1' });
    expect(wer(result.text)).toBeLessThan(45);
  });

  it('text', async () => {
    const text = await client.audio.transcriptions.create({
      file: createReadStream(audio.file),
      model: 'whisper-1',
      response_format: 'text',
    });
    expect(typeof text).toBe('string');
    expect(wer(text)).toBeLessThan(45);
  });

  it.each(['srt', 'vtt'] as const)('%s parses as subtitles with ordered cues', async (format) => {
    const body = await client.audio.transcriptions.create({
      file: createReadStream(audio.file),
      model: 'whisper-1',
      response_format: format,
    });
    const cues = parseSync(body).flatMap((node) => (node.type === 'cue' ? [node.data] : []));
    expect(cues.length).toBeGreaterThanOrEqual(2);
    for (const [i, cue] of cues.entries()) {
      expect(cue.end).toBeGreaterThan(cue.start);
      if (i > 0) expect(cue.start).toBeGreaterThanOrEqual(cues[i - 1]!.end);
    }
    expect(wer(cues.map((c) => c.text).join(' '))).toBeLessThan(45);
  });

  it('verbose_json with word and segment timestamps', async () => {
    const result = await client.audio.transcriptions.create({
      file: createReadStream(audio.file),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['word', 'segment'],
    });
    expect(result.language).toBe('english');
    expect(result.duration).toBeGreaterThan(5);
    expect(result.segments!.length).toBeGreaterThanOrEqual(2);
    const words = result.words!;
    expect(words.length).toBeGreaterThan(10);
    for (const [i, word] of words.entries()) {
      expect(word.end).toBeGreaterThan(word.start);
      expect(word.end).toBeLessThanOrEqual(result.duration + 0.01);
      if (i > 0) expect(word.start).toBeGreaterThanOrEqual(words[i - 1]!.end - 0.001);
    }
    expect(wer(words.map((w) => w.word).join(' '))).toBeLessThan(45);
    // The second sentence starts after the first one's pause.
    expect(result.segments![1]!.start).toBeGreaterThan(2.5);
  });

  it('stream: true gives transcript.text.delta events, then transcript.text.done with the whole text', async () => {
    const stream = await client.audio.transcriptions.create({
      file: createReadStream(audio.file),
      model: 'whisper-1',
      stream: true,
    });
    const deltas: string[] = [];
    let done: string | undefined;
    for await (const event of stream) {
      if (event.type === 'transcript.text.delta') deltas.push(event.delta);
      if (event.type === 'transcript.text.done') done = event.text;
    }
    expect(deltas.length).toBeGreaterThanOrEqual(1);
    expect(done).toBe(deltas.join(''));
    expect(wer(done!)).toBeLessThan(45);
  });

  it('lists the active model', async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(['pocketsphinx-en-us']);
  });

  it('raises BadRequestError with OpenAI’s envelope for a language the engine lacks', async () => {
    const error: unknown = await client.audio.transcriptions
      .create({ file: createReadStream(audio.file), model: 'whisper-1', language: 'fr' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).code).toBe('unsupported_language');
    expect((error as BadRequestError).message).toContain('English only');
  });
});
