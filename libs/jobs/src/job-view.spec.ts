import type { Job } from './job';
import { type JobRow, toJob } from './job-row';
import { jobView } from './job-view';

/** A row as a store keeps a job that was just submitted, with `overrides`. */
function row(overrides: Partial<JobRow> = {}): JobRow {
  return {
    id: 'job-1',
    status: 'queued',
    tenant: 'team-a',
    options: JSON.stringify({ wordTimestamps: false }),
    source: JSON.stringify({ filename: 'talk.wav', bytes: 10 }),
    created_at: Date.UTC(2026, 0, 2, 3, 4, 5),
    started_at: null,
    finished_at: null,
    duration_s: null,
    done_s: 0,
    runs: 0,
    error: null,
    owner: null,
    webhook_url: null,
    webhook_state: null,
    webhook_attempts: '[]',
    webhook_next_at: null,
    ...overrides,
  };
}

const T = Date.UTC(2026, 0, 2, 3, 4, 5);
const iso = (ms: number): string => new Date(ms).toISOString();

describe('toJob', () => {
  it.each<[string, Partial<JobRow>, Partial<Job>, (keyof Job)[]]>([
    [
      'a fresh submission',
      {},
      { status: 'queued', tenant: 'team-a', doneS: 0, runs: 0 },
      ['runner', 'startedAt', 'finishedAt', 'durationS', 'error', 'webhook'],
    ],
    ['a job stored before tenancy', { tenant: null }, { status: 'queued' }, ['tenant']],
    [
      'a running job: its runner is host:pid of the lease owner',
      { status: 'running', owner: 'host-a:101:aaaa', started_at: T + 1, runs: 2, duration_s: 30, done_s: 12 },
      { status: 'running', runner: 'host-a:101', startedAt: T + 1, runs: 2, durationS: 30, doneS: 12 },
      ['finishedAt', 'error'],
    ],
    [
      'an owner left on a job that is no longer running',
      { status: 'cancelled', owner: 'host-a:101:aaaa' },
      {},
      ['runner'],
    ],
    [
      'a failed job with its error',
      { status: 'failed', finished_at: T + 9, error: JSON.stringify({ code: 'provider_error', message: 'no' }) },
      { status: 'failed', finishedAt: T + 9, error: { code: 'provider_error', message: 'no' } },
      ['runner'],
    ],
    [
      'a webhook due again later',
      {
        webhook_url: 'https://hooks.example.test/',
        webhook_state: 'pending',
        webhook_attempts: JSON.stringify([{ at: iso(T), status: 500 }]),
        webhook_next_at: T + 60_000,
      },
      {
        webhook: {
          url: 'https://hooks.example.test/',
          state: 'pending',
          attempts: [{ at: iso(T), status: 500 }],
          nextAttemptAt: T + 60_000,
        },
      },
      [],
    ],
    [
      'a webhook not yet due (the job still runs)',
      { webhook_url: 'https://hooks.example.test/' },
      { webhook: { url: 'https://hooks.example.test/', state: 'pending', attempts: [] } },
      [],
    ],
    [
      'a delivered webhook, whose last due time no longer matters',
      { webhook_url: 'https://hooks.example.test/', webhook_state: 'delivered', webhook_next_at: T },
      { webhook: { url: 'https://hooks.example.test/', state: 'delivered', attempts: [] } },
      [],
    ],
  ])('maps %s', (_, overrides, expected, absent) => {
    const job = toJob(row(overrides));
    expect(job).toMatchObject({ id: 'job-1', createdAt: T, options: { wordTimestamps: false }, ...expected });
    if (expected.webhook) expect(job.webhook).toEqual(expected.webhook);
    for (const key of absent) expect(job).not.toHaveProperty(key);
  });
});

describe('jobView', () => {
  const job = (overrides: Partial<Job> = {}): Job => ({ ...toJob(row()), ...overrides });

  it('shows a queued job with its links and no progress it does not know yet', () => {
    expect(jobView(job())).toEqual({
      id: 'job-1',
      status: 'queued',
      created_at: '2026-01-02T03:04:05.000Z',
      progress: { done_seconds: 0 },
      runs: 0,
      options: { timestamps: 'segment' },
      source: { filename: 'talk.wav', bytes: 10 },
      links: {
        self: '/api/v1/jobs/job-1',
        result: '/api/v1/jobs/job-1/result',
        events: '/api/v1/jobs/job-1/events',
      },
    });
  });

  it.each<[string, Partial<Job>, object]>([
    ['a third done', { durationS: 30.0004, doneS: 10 }, { done_seconds: 10, total_seconds: 30, fraction: 0.333 }],
    ['all of it done', { durationS: 30, doneS: 30 }, { done_seconds: 30, total_seconds: 30, fraction: 1 }],
    ['a recording of no length', { durationS: 0, doneS: 0 }, { done_seconds: 0, total_seconds: 0, fraction: 1 }],
  ])('gives progress in seconds of audio: %s', (_, overrides, progress) => {
    expect(jobView(job(overrides)).progress).toEqual(progress);
  });

  it('shows times as ISO strings, the options asked for, the runner, the error and the webhook', () => {
    const view = jobView(
      job({
        status: 'failed',
        startedAt: T + 1000,
        finishedAt: T + 2000,
        runner: 'host-a:101',
        options: { language: 'de', prompt: 'names', wordTimestamps: true },
        error: { code: 'provider_error', message: 'no' },
        webhook: { url: 'https://h.example.test/', state: 'pending', attempts: [], nextAttemptAt: T + 3000 },
      }),
    );
    expect(view).toMatchObject({
      started_at: '2026-01-02T03:04:06.000Z',
      finished_at: '2026-01-02T03:04:07.000Z',
      runner: 'host-a:101',
      options: { language: 'de', prompt: 'names', timestamps: 'word' },
      error: { code: 'provider_error', message: 'no' },
      webhook: {
        url: 'https://h.example.test/',
        state: 'pending',
        attempts: [],
        next_attempt_at: '2026-01-02T03:04:08.000Z',
      },
    });
    expect(
      jobView(job({ webhook: { url: 'https://h.example.test/', state: 'failed', attempts: [] } })).webhook,
    ).toEqual({
      url: 'https://h.example.test/',
      state: 'failed',
      attempts: [],
    });
  });
});
