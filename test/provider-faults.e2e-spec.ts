import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeWav } from '@asr/audio';
import { type Behaviour, withFakeProvider } from './support/fake-openai';
import { finished, submitJob, waitForJob } from './support/jobs';
import { RATE, sequence, speak } from './support/mixes';
import { finalsOf, streamOnce, toPcm16 } from './support/stream-client';

jest.setTimeout(120_000);

interface Fault {
  name: string;
  behaviour: Behaviour;
  /** What the REST client gets, and the code streams and jobs report. */
  status: number;
  code: string;
}

/** Every way the provider fails, with the documented answer (README, errors; docs/asyncapi.yaml, finals). */
const FAULTS: Fault[] = [
  { name: '500', behaviour: { kind: 'status', status: 500 }, status: 502, code: 'provider_error' },
  { name: '503', behaviour: { kind: 'status', status: 503 }, status: 503, code: 'provider_unavailable' },
  {
    name: '429 with Retry-After',
    behaviour: { kind: 'status', status: 429, retryAfter: '7' },
    status: 429,
    code: 'provider_rate_limited',
  },
  { name: 'no answer', behaviour: { kind: 'hang' }, status: 504, code: 'provider_timeout' },
  {
    name: 'a body dripping slower than the timeout',
    behaviour: { kind: 'drip', intervalMs: 400 },
    status: 504,
    code: 'provider_timeout',
  },
  { name: 'connection reset', behaviour: { kind: 'reset' }, status: 503, code: 'provider_unavailable' },
  { name: 'malformed JSON', behaviour: { kind: 'malformed' }, status: 502, code: 'provider_error' },
  { name: 'an HTML page instead of JSON', behaviour: { kind: 'wrong-type' }, status: 502, code: 'provider_error' },
];

describe('provider faults on every surface: REST, mid-stream, jobs', () => {
  const { fake, app } = withFakeProvider({
    ASR_MAX_RETRIES: '0',
    ASR_TIMEOUT_S: '1',
    // Each fault is one failure; the breaker has its own tests.
    ASR_BREAKER_FAILURES: '1000',
  });
  let twoUtterances: Buffer;
  let wav: string;

  beforeAll(() => {
    const { clean } = sequence(speak(['The meeting will start at nine.', 'Please send me the report.']), 3);
    twoUtterances = toPcm16(clean);
    wav = join(mkdtempSync(join(tmpdir(), 'asr-faults-')), 'speech.wav');
    writeFileSync(wav, encodeWav(clean, RATE));
  });
  afterEach(() => fake.reset());

  const upload = (): Promise<Response> => {
    const body = new FormData();
    body.append('file', new Blob([readFileSync(wav)]), 'speech.wav');
    return fetch(`${app().url}/api/v1/transcribe`, { method: 'POST', body });
  };

  it.each(FAULTS)('REST, $name: $status $code with the cause, and the next request is served', async (fault) => {
    fake.will(fault.behaviour);
    const response = await upload();
    const error = (await response.json()) as { code: string; message: string };
    expect([response.status, error.code]).toEqual([fault.status, fault.code]);
    expect(error.message.length).toBeGreaterThan(15);
    if (fault.status === 429) expect(response.headers.get('retry-after')).toBe('7');
    expect((await upload()).status).toBe(200);
  });

  it.each(FAULTS)(
    'stream, $name: that utterance gets an empty final with $code, the next one its text',
    async (fault) => {
      fake.will(fault.behaviour);
      const run = await streamOnce(app().url, twoUtterances, {
        bytesPerSecond: RATE * 2,
        pace: 4,
        query: 'interim_results=false',
      });
      const finals = finalsOf(run);
      expect(run.closeCode).toBe(1000);
      expect(finals).toHaveLength(2);
      expect(finals[0]).toMatchObject({ text: '', error: { code: fault.code } });
      expect(finals[1]).toMatchObject({ text: 'hello from the fake provider' });
      expect(finals[1]!.error).toBeUndefined();
    },
  );

  it.each(FAULTS)('job, $name: failed with $code and the reason; the next job succeeds', async (fault) => {
    fake.will(fault.behaviour);
    const failed = await submitJob(app().url, wav);
    const job = await waitForJob(app().url, failed.body.id as string, finished);
    expect(job.status).toBe('failed');
    expect(job.error?.code).toBe(fault.code);
    const next = await submitJob(app().url, wav);
    expect((await waitForJob(app().url, next.body.id as string, finished)).status).toBe('succeeded');
  });
});
