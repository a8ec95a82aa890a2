import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverMessageValidator } from './support/asyncapi';
import { FakeOpenAi } from './support/fake-openai';
import { sequence, speak, truthSpans } from './support/mixes';
import { startServerProcess } from './support/processes';
import { corpusSentences } from './support/speech';
import {
  connect,
  finalsOf,
  refusedHandshake,
  sendAudio,
  type StreamMessage,
  streamUrl,
  toPcm16,
} from './support/stream-client';

jest.setTimeout(60_000);

async function until(messages: StreamMessage[], predicate: (m: StreamMessage) => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!messages.some(predicate)) {
    if (Date.now() > deadline) throw new Error('the expected message did not arrive');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('streaming through SIGTERM (a real server process)', () => {
  const fake = new FakeOpenAi();
  beforeAll(() => fake.start());
  afterAll(() => fake.stop());

  it('mid-utterance: every client gets its finals, then session.closed and 1001; new streams get 503; exit code 0', async () => {
    // Finals take a while, so they are still being transcribed when the signal comes.
    fake.fallback = { kind: 'ok', delayMs: 700 };
    const dir = mkdtempSync(join(tmpdir(), 'asr-stream-sigterm-'));
    const server = await startServerProcess(
      {
        ASR_PROVIDER: 'openai-compatible',
        ASR_BASE_URL: fake.url,
        AUDIO_STORAGE_PATH: join(dir, 'audio'),
        TEMP_STORAGE_PATH: join(dir, 'tmp'),
        SHUTDOWN_GRACE_S: '20',
      },
      dir,
    );
    const { clean } = sequence(speak(corpusSentences().slice(0, 2)), 4);
    const truth = truthSpans(clean);
    // Up to the middle of the second utterance.
    const cut = Math.round((truth[1]!.start + truth[1]!.end) / 2);
    const audio = toPcm16(clean.subarray(0, cut));
    const clients = await Promise.all([0, 1].map(() => connect(streamUrl(server.url))));
    for (const [i, { socket }] of clients.entries())
      await sendAudio(socket, audio, { bytesPerSecond: 32_000, pace: 0, seed: i + 1 });
    for (const { messages } of clients) await until(messages, (m) => m.type === 'speech.started' && m.segment_id === 1);

    server.child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const refused = await refusedHandshake(streamUrl(server.url)).catch((error: Error) => ({
      status: 0,
      body: error.message,
    }));
    expect(refused.status).toBe(503);

    const validate = serverMessageValidator();
    for (const { run } of clients) {
      const result = await run;
      for (const message of result.messages) expect(validate(message)).toBeUndefined();
      expect(result.closeCode).toBe(1001);
      expect(result.messages[result.messages.length - 1]).toMatchObject({
        type: 'session.closed',
        reason: 'server_shutdown',
      });
      // Both utterances, the one cut by the shutdown included, got their final (with the provider's text).
      expect(finalsOf(result).map((f) => f.segment_id)).toEqual([0, 1]);
      expect(finalsOf(result).every((f) => f.text === 'hello from the fake provider')).toBe(true);
    }
    expect(await server.exited).toBe(0);
  });
});
