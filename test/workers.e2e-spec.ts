import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeOpenAi } from './support/fake-openai';
import { sequence, speak } from './support/mixes';
import { startServerProcess, type ServerProcess } from './support/processes';
import { admissionOf, closeAll, openAtOnce, tally } from './support/stream-admission';
import { connect, sendAudio, streamUrl, toPcm16 } from './support/stream-client';
import { waitFor } from './support/wait';

jest.setTimeout(120_000);

/** The worker processes of a primary, from the process table. */
function workersOf(primary: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(primary)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** A gauge from /metrics; NaN when the request fails or goes unanswered for 5 s (the waits poll again). */
async function metric(url: string, name: string): Promise<number> {
  try {
    // Bounded: a request the primary handed to a worker as it was killed is never answered.
    const text = await (await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
    return Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  } catch {
    return Number.NaN;
  }
}

/** The built server with API_WORKERS=2 over `fake`, once both workers answer; `env` adds to the defaults. */
async function startTwoWorkers(fake: FakeOpenAi, env: Record<string, string>): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), 'asr-workers-'));
  const server = await startServerProcess(
    {
      API_WORKERS: '2',
      ASR_PROVIDER: 'openai-compatible',
      ASR_BASE_URL: fake.url,
      SHUTDOWN_DRAIN_S: '0',
      AUDIO_STORAGE_PATH: join(dir, 'audio'),
      TEMP_STORAGE_PATH: join(dir, 'tmp'),
      ...env,
    },
    dir,
    30_000,
  );
  await waitFor(async () => (await metric(server.url, 'asr_workers')) === 2, {
    what: 'two workers',
    timeoutMs: 30_000,
    everyMs: 100,
  });
  return server;
}

describe('API_WORKERS=2', () => {
  const fake = new FakeOpenAi();
  let server: ServerProcess;

  beforeAll(async () => {
    await fake.start();
    server = await startTwoWorkers(fake, { STREAMING_MAX_CLIENTS: '4' });
  });
  afterAll(async () => {
    server.child.kill('SIGKILL');
    await fake.stop();
  });

  it('admits STREAMING_MAX_CLIENTS streams across both workers, sums their metrics, survives a worker dying', async () => {
    const before = workersOf(server.child.pid!);
    expect(before).toHaveLength(2);
    const url = streamUrl(server.url, 'interim_results=false');
    const streams: Awaited<ReturnType<typeof connect>>[] = [];
    for (let i = 0; i < 4; i += 1) streams.push(await connect(url));
    await waitFor(() => streams.every((s) => s.messages.some((m) => m.type === 'session.started')), {
      what: 'sessions',
      timeoutMs: 30_000,
      everyMs: 100,
    });

    // The fifth is over the cap for the whole server, whichever worker it reaches.
    const fifth = await connect(url);
    const refused = await fifth.run;
    expect(refused.closeCode).toBe(1013);
    expect(refused.messages[0]).toMatchObject({ type: 'error', code: 'server_full' });

    // Metrics from any worker add up both; each worker alone holds fewer than four.
    expect(await metric(server.url, 'asr_stream_active_sessions')).toBe(4);
    const perWorker = await Promise.all(
      [0, 1, 2, 3].map(async () => {
        const stats = (await (await fetch(`${server.url}/api/v1/streaming-health`)).json()) as {
          capacity: { active: number };
        };
        return stats.capacity.active;
      }),
    );
    expect(Math.max(...perWorker)).toBeLessThan(4);

    // Kill one worker: only its sessions end; the others keep transcribing, and a new worker takes its place.
    const victim = before[0]!;
    process.kill(victim, 'SIGKILL');
    await waitFor(() => streams.some((s) => s.socket.readyState === s.socket.CLOSED), {
      what: 'the killed sessions',
      timeoutMs: 30_000,
      everyMs: 100,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const survivors = streams.filter((s) => s.socket.readyState === s.socket.OPEN);
    const lost = streams.length - survivors.length;
    expect(lost).toBeGreaterThan(0);
    expect(survivors.length).toBeGreaterThan(0);
    const speech = toPcm16(sequence(speak(['Good morning everyone.'])).clean);
    for (const s of survivors) {
      await sendAudio(s.socket, speech, { bytesPerSecond: 32_000, pace: 0 });
      s.socket.send(JSON.stringify({ type: 'close' }));
    }
    const ends = await Promise.all(survivors.map((s) => s.run));
    for (const end of ends) {
      expect(end.closeCode).toBe(1000);
      expect(end.messages.filter((m) => m.type === 'transcript.final').length).toBeGreaterThan(0);
    }
    await waitFor(
      async () => workersOf(server.child.pid!).length === 2 && (await metric(server.url, 'asr_workers')) === 2,
      { what: 'a replacement worker', timeoutMs: 30_000, everyMs: 100 },
    );
    const after = workersOf(server.child.pid!);
    expect(after).not.toContain(victim);
    // The dead worker's slots were given back: four new streams fit again.
    const again: Awaited<ReturnType<typeof connect>>[] = [];
    for (let i = 0; i < 4; i += 1) again.push(await connect(url));
    await waitFor(() => again.every((s) => s.messages.some((m) => m.type === 'session.started')), {
      what: 'new sessions',
      timeoutMs: 30_000,
      everyMs: 100,
    });
    for (const s of again) s.socket.send(JSON.stringify({ type: 'close' }));
    await Promise.all(again.map((s) => s.run));
    console.log(`API_WORKERS=2: ${lost} of 4 sessions ended with the killed worker, ${survivors.length} went on`);
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    const workers = workersOf(server.child.pid!);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
    expect(workers.every((pid) => workersOf(server.child.pid!).length === 0 && !isAlive(pid))).toBe(true);
  });
});

describe('API_WORKERS=2 with STREAMS_PER_KEY=1', () => {
  const KEY = `asr-w-${randomBytes(12).toString('hex')}`;
  const OTHER = `asr-o-${randomBytes(12).toString('hex')}`;
  const fake = new FakeOpenAi();
  let server: ServerProcess;

  beforeAll(async () => {
    await fake.start();
    server = await startTwoWorkers(fake, {
      API_KEYS: `${KEY},${OTHER}`,
      SECRET_KEY: randomBytes(32).toString('hex'),
      STREAMS_PER_KEY: '1',
      STREAMING_MAX_CLIENTS: '20',
    });
  });
  afterAll(async () => {
    server.child.kill('SIGKILL');
    await fake.stop();
  });

  it('holds one key to STREAMS_PER_KEY streams across both workers, one after another and all at once', async () => {
    const url = streamUrl(server.url, 'interim_results=false');
    const auth = { 'x-api-key': KEY };
    // One after another: the kernel hands connections to the workers in turn, so these reach both.
    const oneByOne = [];
    for (let i = 0; i < 4; i += 1) oneByOne.push(await admissionOf(await connect(url, auth)));
    const other = await admissionOf(await connect(url, { 'x-api-key': OTHER }));
    expect([tally(oneByOne), other.outcome]).toEqual([{ admitted: 1, too_many_streams: 3 }, 'admitted']);
    await closeAll([...oneByOne, other]);

    const atOnce = await openAtOnce(url, auth, 12);
    expect(tally(atOnce)).toEqual({ admitted: 1, too_many_streams: 11 });
    await closeAll(atOnce);
    // The supervisor gave the place back when the stream ended.
    const again = await admissionOf(await connect(url, auth));
    expect(again.outcome).toBe('admitted');

    // A worker that dies holding the key's stream gives it back too (both are killed: either may hold it).
    for (const pid of workersOf(server.child.pid!)) process.kill(pid, 'SIGKILL');
    expect((await again.stream.run).closeCode).toBe(1006);
    await waitFor(async () => (await metric(server.url, 'asr_workers')) === 2, {
      what: 'two replacement workers',
      timeoutMs: 30_000,
      everyMs: 100,
    });
    const afterDeath = await admissionOf(await connect(url, auth));
    expect(afterDeath.outcome).toBe('admitted');
    await closeAll([afterDeath]);
    console.log(
      `API_WORKERS=2, STREAMS_PER_KEY=1: one by one ${JSON.stringify(tally(oneByOne))}, 12 at once ${JSON.stringify(tally(atOnce))}`,
    );
  });
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
