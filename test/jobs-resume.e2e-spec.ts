import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '@asr/audio';
import { FakeOpenAi } from './support/fake-openai';
import { getJob, submitJob, waitForJob } from './support/jobs';
import { meeting } from './support/mixes';
import { startServerProcess } from './support/processes';
import { corpusSentences } from './support/speech';

jest.setTimeout(180_000);

const hash = (bytes: Buffer | undefined): string =>
  createHash('sha256')
    .update(bytes ?? Buffer.alloc(0))
    .digest('hex');

describe('a job survives SIGKILL of the server', () => {
  it('resumes from its last finished chunk: finished chunks are not sent to the provider again', async () => {
    const fake = new FakeOpenAi();
    await fake.start();
    fake.fallback = { kind: 'ok', delayMs: 700 };
    const dir = mkdtempSync(join(tmpdir(), 'asr-resume-'));
    const wav = join(dir, 'meeting.wav');
    // About ten minutes of speech with short pauses: several provider-sized (120 s) chunks.
    writeFileSync(wav, encodeWav(meeting(600, corpusSentences().slice(0, 12))));
    const env = {
      ASR_PROVIDER: 'openai-compatible',
      ASR_BASE_URL: fake.url,
      // One chunk at a time: when the third request arrives, the first two are answered and saved.
      ASR_CHUNK_CONCURRENCY: '1',
      AUDIO_STORAGE_PATH: join(dir, 'audio'),
      TEMP_STORAGE_PATH: join(dir, 'tmp'),
    };
    const first = await startServerProcess(env, dir);
    let second: Awaited<ReturnType<typeof startServerProcess>> | undefined;
    try {
      const id = (await submitJob(first.url, wav)).body.id as string;
      while (fake.seen.length < 3) await new Promise((resolve) => setTimeout(resolve, 20));
      const progress = (await getJob(first.url, id)).progress.done_seconds;
      first.child.kill('SIGKILL');
      await first.exited;
      await new Promise((resolve) => setTimeout(resolve, 300));
      const answered = fake.seen.filter((s) => !s.aborted);
      expect(answered).toHaveLength(2);
      expect(fake.seen[2]!.aborted).toBe(true);
      const sentBefore = fake.seen.length;

      second = await startServerProcess(env, dir);
      const job = await waitForJob(second.url, id, (j) => j.status === 'succeeded' || j.status === 'failed', {
        timeoutMs: 60_000,
        everyMs: 200,
      });
      expect(job.status).toBe('succeeded');
      expect(job.runs).toBe(2);
      const after = fake.seen.slice(sentBefore);
      const before = new Set(answered.map((s) => hash(s.file?.bytes)));
      expect(after.filter((s) => before.has(hash(s.file?.bytes)))).toHaveLength(0);
      // The chunk in flight at the kill is sent again (it never finished); nothing else is.
      expect(hash(after[0]!.file?.bytes)).toBe(hash(fake.seen[2]!.file?.bytes));
      const result = (await (await fetch(`${second.url}/api/v1/jobs/${id}/result`)).json()) as {
        segments: { start: number; end: number }[];
        duration: number;
      };
      // One segment per chunk from the fake: the saved ones and the new ones, in order.
      expect(result.segments).toHaveLength(answered.length + after.length);
      result.segments.forEach((s, i) => expect(s.start).toBeGreaterThanOrEqual(result.segments[i - 1]?.end ?? 0));
      expect(result.duration).toBeCloseTo(600, 0);
      console.log(
        `resume after SIGKILL: ${answered.length} chunks saved (${progress} s done) before the kill, ${after.length} sent after the restart, none twice`,
      );
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGTERM');
      await second?.exited;
      await fake.stop();
    }
  });
});
