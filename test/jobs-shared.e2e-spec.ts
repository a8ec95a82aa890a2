import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '@asr/audio';
import type { JobView } from '@asr/jobs';
import { FakeOpenAi } from './support/fake-openai';
import { getJob, submitJob, waitForJob } from './support/jobs';
import { meeting } from './support/mixes';
import { type ServerProcess, startServerProcess } from './support/processes';
import { startRedis } from './support/redis';
import { corpusSentences } from './support/speech';

jest.setTimeout(180_000);

const pidOf = (job: JobView): number => Number(job.runner?.split(':')[1]);

/** Two processes of one machine on the SQLite file (as API_WORKERS runs them), and two replicas on one Redis. */
describe.each(['sqlite', 'redis'])('two service processes on one job store (%s)', (store) => {
  it('share the jobs: either runs a job submitted to one, both read it, and a killed runner’s job resumes', async () => {
    // One fake provider per process, so the test knows whose call the kill cuts.
    const fakes = [new FakeOpenAi(), new FakeOpenAi()];
    for (const fake of fakes) {
      await fake.start();
      fake.fallback = { kind: 'ok', delayMs: 500 };
    }
    const redis = store === 'redis' ? await startRedis() : undefined;
    const dir = mkdtempSync(join(tmpdir(), 'asr-redis-jobs-'));
    const sentences = corpusSentences().slice(0, 12);
    const files = [1, 1.37].map((leadS, i) => {
      const file = join(dir, `meeting-${i}.wav`);
      writeFileSync(file, encodeWav(meeting(480, sentences, { leadS })));
      return file;
    });
    const env = (fake: FakeOpenAi): Record<string, string> => ({
      ASR_PROVIDER: 'openai-compatible',
      ASR_BASE_URL: fake.url,
      ASR_CHUNK_CONCURRENCY: '1',
      ...(redis ? { REDIS_URL: redis.url } : {}),
      JOBS_CONCURRENCY: '1',
      JOBS_LEASE_S: '2',
      // Shared storage: every replica reads the audio a job was submitted with.
      AUDIO_STORAGE_PATH: join(dir, 'audio'),
      TEMP_STORAGE_PATH: join(dir, 'tmp'),
    });
    const servers: ServerProcess[] = [
      await startServerProcess(env(fakes[0]!), dir),
      await startServerProcess(env(fakes[1]!), dir),
    ];
    const [a, b] = servers as [ServerProcess, ServerProcess];
    try {
      const ids = [(await submitJob(a.url, files[0]!)).body.id as string];
      ids.push((await submitJob(a.url, files[1]!)).body.id as string);
      const running = await Promise.all(
        ids.map((id) => waitForJob(a.url, id, (j) => j.status === 'running', { timeoutMs: 10_000 })),
      );
      // One job on each process: the second was taken by the process that was free.
      expect(new Set(running.map(pidOf))).toEqual(new Set([a.child.pid, b.child.pid]));
      for (const id of ids) {
        const [fromA, fromB] = await Promise.all([getJob(a.url, id), getJob(b.url, id)]);
        expect(fromB).toMatchObject({ id, status: fromA.status, runner: fromA.runner });
      }

      // Kill the process running the job B holds as its second call arrives (the first is answered and saved),
      // and start it again.
      const onB = running.find((j) => pidOf(j) === b.child.pid)!.id;
      while (fakes[1]!.seen.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      b.child.kill('SIGKILL');
      await b.exited;
      servers.push(await startServerProcess(env(fakes[1]!), dir));
      const done = await Promise.all(
        ids.map((id) =>
          waitForJob(a.url, id, (j) => ['succeeded', 'failed'].includes(j.status), { timeoutMs: 90_000 }),
        ),
      );
      expect(done.map((j) => j.status)).toEqual(['succeeded', 'succeeded']);
      const resumed = done.find((j) => j.id === onB)!;
      expect(resumed.runs).toBe(2);
      expect(done.find((j) => j.id !== onB)!.runs).toBe(1);
      const restarted = servers[2]!;
      expect(await getJob(restarted.url, onB)).toMatchObject({ status: 'succeeded', runs: 2 });

      // Every chunk was answered once: the fake gives one segment per chunk, and nothing but the call cut by the
      // kill was sent twice.
      const segments = await Promise.all(
        ids.map(
          async (id) =>
            ((await (await fetch(`${restarted.url}/api/v1/jobs/${id}/result`)).json()) as { segments: unknown[] })
              .segments.length,
        ),
      );
      const seen = fakes.flatMap((fake) => fake.seen);
      const answered = seen.filter((s) => !s.aborted).length;
      const cut = seen.filter((s) => s.aborted).length;
      console.log(
        `${store}: jobs on pids ${running.map(pidOf).join(' and ')}; ${segments.join(' + ')} chunks, ${answered} answered calls, ${cut} cut by the kill; resumed job runs=${resumed.runs}`,
      );
      expect(answered).toBe(segments[0]! + segments[1]!);
      expect(cut).toBe(1);
    } finally {
      for (const server of servers) server.child.kill('SIGKILL');
      await Promise.all(servers.map((s) => s.exited));
      await redis?.stop();
      for (const fake of fakes) await fake.stop();
    }
  });
});
