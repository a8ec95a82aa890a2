import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { rm } from 'node:fs/promises';
import { AsrError } from '@asr/asr';
import type { JobStatus } from './job';
import { fakeOnly } from '../../../test/support/fake-timers';
import { finishedCount, leaseOf, untilStatus } from '../../../test/support/job-builders';
import {
  type RunnerHarness,
  runnerHarness,
  scriptedWav,
  secondsOf,
  THREE_UTTERANCES,
} from '../../../test/support/job-runner-harness';
import { type ScriptedAnswer, ScriptedProvider } from '../../../test/support/scripted-provider';
import { silence } from '../../../test/support/scripted-vad';
import { waitFor } from '../../../test/support/wait';

/** A provider that answers `part <n>` for every chunk, one span of speech per chunk. */
const answering = (answers?: ScriptedAnswer[]): ScriptedProvider =>
  new ScriptedProvider({
    capabilities: { joinsSpeechSpans: false, maxChunkSeconds: 10 },
    ...(answers ? { answers } : { script: ({ index }) => ({ text: `part ${index}` }) }),
  });

/** An answer that never comes unless the call is aborted. */
const hangs: ScriptedAnswer = { delayMs: 60_000 };

const soon = (condition: () => boolean | Promise<boolean>, what: string): Promise<void> =>
  waitFor(condition, { what, timeoutMs: 5000, everyMs: 5 });

/** The job reached `status` and the runner is done with it (its files cleaned up, its metrics counted). */
async function settled(h: RunnerHarness, id: string, status: JobStatus): Promise<void> {
  await untilStatus(h.store, id, status);
  await soon(() => h.runner.active === 0, 'the runner to let go of the job');
}

async function recordingKept(h: RunnerHarness, id: string): Promise<{ input: boolean; audio: boolean }> {
  return { input: await h.files.exists(h.files.input(id)), audio: await h.files.exists(h.files.audio(id)) };
}

describe('JobRunner runs a job chunk by chunk', () => {
  it('transcribes every chunk in order, saves each with the progress, and keeps only the result', async () => {
    const provider = answering();
    const h = await runnerHarness(provider);
    const id = await h.submit();
    h.runner.wake();
    await settled(h, id, 'succeeded');

    expect(provider.calls).toHaveLength(3);
    const chunks = await h.store.chunks(id);
    expect(chunks.map((c) => c.segments.map((s) => s.text))).toEqual([['part 0'], ['part 1'], ['part 2']]);
    expect(chunks.map((c) => c.start)).toEqual([...chunks.map((c) => c.start)].sort((a, b) => a - b));
    const job = (await h.store.get(id))!;
    expect(job.durationS).toBeCloseTo(secondsOf(THREE_UTTERANCES), 3);
    expect(job).toMatchObject({ runs: 1, doneS: job.durationS });
    const result = (await h.store.result(id))!;
    expect(result).toMatchObject({ provider: 'openai-compatible', model: 'scripted-model' });
    expect(result.transcript.text).toBe('part 0 part 1 part 2');
    expect(result.transcript.segments.map((s) => s.start)).toEqual(chunks.map((c) => c.segments[0]!.start));
    expect(await recordingKept(h, id)).toEqual({ input: false, audio: false });
    expect(await finishedCount(h.metrics.duration, 'succeeded')).toBe(1);
    await soon(
      async () => (await h.metrics.jobs.get()).values.some((v) => v.labels.status === 'succeeded' && v.value === 1),
      'the job gauges',
    );
    expect(h.runner.active).toBe(0);
  });

  it('keeps the recording of a job submitted with keep_audio', async () => {
    const h = await runnerHarness(answering());
    const id = await h.submit(THREE_UTTERANCES, { options: { wordTimestamps: true, keepAudio: true } });
    h.runner.wake();
    await settled(h, id, 'succeeded');
    expect(await recordingKept(h, id)).toEqual({ input: true, audio: true });
    expect((await h.store.result(id))!.transcript.segments[0]!.words).toHaveLength(2);
  });

  it('runs at most JOBS_CONCURRENCY jobs at once', async () => {
    // Every call waits at the gate, so the jobs pile up at the provider as far as the runner lets them.
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const provider = new ScriptedProvider({
      capabilities: { joinsSpeechSpans: false, maxChunkSeconds: 10 },
      script: () => ({ text: 'words', gate }),
    });
    const h = await runnerHarness(provider, { env: { JOBS_CONCURRENCY: '2' } });
    const ids = [await h.submit(), await h.submit(), await h.submit()];
    h.runner.wake();
    await soon(() => provider.inFlight >= 2, 'two jobs at the provider');
    // Time for a third to arrive, were the runner to let one in.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(provider.inFlight).toBe(2);
    expect((await h.store.countByStatus()).running).toBe(2);
    open();
    for (const id of ids) await untilStatus(h.store, id, 'succeeded');
    expect(provider.calls).toHaveLength(9);
    expect(provider.maxInFlight).toBe(2);
  });
});

describe('JobRunner stops and resumes', () => {
  it('hands a job back at shutdown with its finished chunks; the next start sends only the rest', async () => {
    const first = answering([{ text: 'part 0' }, { text: 'part 1' }, hangs]);
    const before = await runnerHarness(first);
    const id = await before.submit();
    before.runner.wake();
    await soon(() => first.calls.length === 3, 'the third chunk to be sent');

    await before.runner.beforeApplicationShutdown();
    expect(first.inFlight).toBe(0);
    const saved = await before.store.chunks(id);
    expect(saved.map((c) => c.segments[0]!.text)).toEqual(['part 0', 'part 1']);
    const handedBack = (await before.store.get(id))!;
    expect(handedBack).toMatchObject({ status: 'queued', runs: 1, doneS: saved[1]!.end });
    expect(handedBack.runner).toBeUndefined();
    expect(await finishedCount(before.metrics.duration, 'cancelled')).toBe(0);
    // A stopped runner takes nothing more.
    before.runner.wake();

    // The decoded audio is what a resumed run reads: without the input it must still succeed.
    await rm(before.files.input(id));
    const second = answering([{ text: 'part 2' }]);
    const after = await runnerHarness(second, { store: before.store, config: before.config });
    after.runner.wake();
    await untilStatus(after.store, id, 'succeeded');
    expect(second.calls).toHaveLength(1);
    expect((await after.store.get(id))!.runs).toBe(2);
    expect((await after.store.result(id))!.transcript.text).toBe('part 0 part 1 part 2');
  });

  const host = hostname();
  const exited = spawnSync('true').pid;

  it.each([
    ['an earlier runner of this very process', `${host}:${process.pid}:0ld0wner`],
    ['a process of this machine that has exited', `${host}:${exited}:0ld0wner`],
  ])('takes over at once a job held by %s', async (_, owner) => {
    const provider = answering();
    const h = await runnerHarness(provider);
    const id = await h.submit();
    await h.store.claim(leaseOf(owner, 60_000), () => false);
    h.runner.wake();
    await untilStatus(h.store, id, 'succeeded');
    expect((await h.store.get(id))!.runs).toBe(2);
  });

  it.each([
    ['a live process of this machine', `${host}:1:0ld0wner`],
    ['a process of another machine', `elsewhere.example.test:${process.pid}:0ld0wner`],
  ])('leaves a job held by %s while its lease lasts', async (_, owner) => {
    const h = await runnerHarness(answering());
    const held = await h.submit();
    await h.store.claim(leaseOf(owner, 60_000), () => false);
    const next = await h.submit();
    h.runner.wake();
    await untilStatus(h.store, next, 'succeeded');
    expect(await h.store.get(held)).toMatchObject({ status: 'running', runs: 1 });
  });
});

describe('JobRunner cancels', () => {
  it('stops the provider call in flight when this process cancels, and drops the recording', async () => {
    const provider = answering([{ text: 'part 0' }, hangs]);
    const h = await runnerHarness(provider);
    const id = await h.submit();
    h.runner.wake();
    await soon(() => provider.inFlight === 1 && provider.calls.length === 2, 'the second chunk to be sent');
    expect(await h.store.cancel(id)).toBe('running');
    h.runner.abortLocal(id);
    await soon(() => h.runner.active === 0, 'the runner to let go');
    expect(provider.inFlight).toBe(0);
    expect((await h.store.get(id))!.status).toBe('cancelled');
    expect(await recordingKept(h, id)).toEqual({ input: false, audio: false });
    expect(await finishedCount(h.metrics.duration, 'cancelled')).toBe(1);
  });

  describe('with its timers', () => {
    beforeEach(() => {
      // Only the runner's poll and heartbeat intervals are driven by the test; everything else keeps real time.
      fakeOnly('setInterval', 'clearInterval');
    });

    afterEach(() => jest.useRealTimers());

    it('learns of a cancel made by another process at its heartbeat', async () => {
      const provider = answering([{ text: 'part 0' }, hangs]);
      const h = await runnerHarness(provider);
      const id = await h.submit();
      h.runner.onApplicationBootstrap();
      try {
        await soon(() => provider.inFlight === 1 && provider.calls.length === 2, 'the second chunk to be sent');
        await h.store.cancel(id);
        expect(h.runner.active).toBe(1);
        jest.advanceTimersByTime(500);
        await soon(() => h.runner.active === 0, 'the heartbeat to stop the job');
        expect(provider.inFlight).toBe(0);
        expect((await h.store.get(id))!.status).toBe('cancelled');
      } finally {
        await h.runner.beforeApplicationShutdown();
      }
    });

    it('finds work submitted by another process at its next poll', async () => {
      const h = await runnerHarness(answering());
      h.runner.onApplicationBootstrap();
      try {
        await soon(() => Promise.resolve(true), 'the first look');
        const id = await h.submit();
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect((await h.store.get(id))!.status).toBe('queued');
        jest.advanceTimersByTime(1000);
        await untilStatus(h.store, id, 'succeeded');
      } finally {
        await h.runner.beforeApplicationShutdown();
      }
    });
  });
});

describe('JobRunner records why a job failed', () => {
  const withCode = Object.assign(new Error('the host refused'), { code: 'target_not_allowed' });
  it.each<[string, ScriptedAnswer[], readonly number[], Record<string, string>, { code: string; message: string }]>([
    [
      'a provider error',
      [{ text: 'part 0' }, { error: new AsrError('provider_rate_limited', 'slow down') }],
      THREE_UTTERANCES,
      {},
      { code: 'provider_rate_limited', message: 'slow down' },
    ],
    [
      'an unexpected error',
      [{ error: new Error('boom') }],
      THREE_UTTERANCES,
      {},
      { code: 'internal', message: 'boom' },
    ],
    [
      'another coded error',
      [{ error: withCode }],
      THREE_UTTERANCES,
      {},
      { code: 'target_not_allowed', message: 'the host refused' },
    ],
    ['audio with no samples', [], [], {}, { code: 'empty_audio', message: 'the WAV file holds no samples' }],
    [
      'a decode past the storage quota',
      [],
      silence(40),
      { JOBS_STORAGE_QUOTA_MB: '1' },
      {
        code: 'storage_quota_exceeded',
        message: 'the decoded recording would take this key past JOBS_STORAGE_QUOTA_MB=1',
      },
    ],
  ])('%s', async (_, answers, audio, env, error) => {
    const h = await runnerHarness(answering(answers), { env });
    const id = await h.submit(audio);
    h.runner.wake();
    await settled(h, id, 'failed');
    expect((await h.store.get(id))!.error).toEqual(error);
    expect(await recordingKept(h, id)).toEqual({ input: false, audio: false });
    expect(await finishedCount(h.metrics.duration, 'failed')).toBe(1);
  });
});

describe('JobRunner fetches URL jobs', () => {
  let server: Server;
  let base: string;
  /** Requests for /slow.wav wait here until the test answers them. */
  const slow: (() => void)[] = [];
  const wav = scriptedWav(THREE_UTTERANCES);

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/talk.wav') res.end(wav);
      else if (req.url === '/slow.wav') slow.push(() => res.end(wav));
      else res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('downloads the audio, then transcribes it', async () => {
    const provider = answering();
    const h = await runnerHarness(provider);
    const id = await h.submitBytes(Buffer.alloc(0), { source: { url: `${base}/talk.wav` } });
    h.runner.wake();
    await untilStatus(h.store, id, 'succeeded');
    expect((await h.store.result(id))!.transcript.text).toBe('part 0 part 1 part 2');
  });

  it('fails a job whose URL does not give audio, with fetch_failed', async () => {
    const h = await runnerHarness(answering([]));
    const id = await h.submitBytes(Buffer.alloc(0), { source: { url: `${base}/missing.wav` } });
    h.runner.wake();
    await untilStatus(h.store, id, 'failed');
    expect((await h.store.get(id))!.error).toMatchObject({ code: 'fetch_failed' });
  });

  it('gives its runner slot back while it downloads, so uploads behind it run', async () => {
    const provider = answering();
    const h = await runnerHarness(provider, { env: { JOBS_CONCURRENCY: '1' } });
    const fetching = await h.submitBytes(Buffer.alloc(0), { source: { url: `${base}/slow.wav` } });
    const upload = await h.submit();
    h.runner.wake();
    await untilStatus(h.store, upload, 'succeeded');
    expect((await h.store.get(fetching))!.status).toBe('running');
    await soon(() => slow.length === 1, 'the download to start');
    slow.shift()!();
    await untilStatus(h.store, fetching, 'succeeded');
    expect(provider.calls).toHaveLength(6);
  });
});
