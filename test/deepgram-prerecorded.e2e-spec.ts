import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  DeepgramClient,
  type DeepgramEnvironmentUrls,
  DeepgramError,
  type ListenV1AcceptedResponse,
  type ListenV1Response,
} from '@deepgram/sdk';
import { Webhook } from 'standardwebhooks';
import type { JobView } from '@asr/jobs';
import { DeclaredTypes } from './support/declared-types';
import { fileServer, type SlowServer } from './support/slow-servers';
import { LIBRIVOX_DIR, librivoxSamples } from './support/speech';
import { startTestApp, type TestApp } from './support/test-app';
import { waitFor } from './support/wait';
import { corpusWer } from './support/wer';

jest.setTimeout(120_000);

const KEY = 'deepgram-e2e-key-0123456789';
const SECRET_KEY = 'a-test-secret-key-of-at-least-32-characters';
/** The bar the OpenAI SDK's test sets for the same two sentences on the embedded engine. */
const MAX_WER = 45;

/** Two LibriVox sentences with a pause between: real speech, two segments. */
function twoSentences(dir: string): { file: string; reference: string } {
  const [a, b] = librivoxSamples().filter((s) => s.id.endsWith('0880') || s.id.endsWith('0930'));
  const padded = join(dir, 'first-then-silence.wav');
  const file = join(dir, 'two.wav');
  execFileSync('sox', [a!.file, padded, 'pad', '0', '1.2']);
  execFileSync('sox', [padded, join(LIBRIVOX_DIR, `${b!.id}.wav`), file]);
  return { file, reference: `${a!.reference} ${b!.reference}` };
}

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A callback receiver on 127.0.0.1 answering 200; records every call. */
async function receiver(): Promise<{ server: Server; url: string; calls: Received[] }> {
  const calls: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      calls.push({ headers: req.headers, body });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/dg`, calls };
}

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** The SDK's `environment` pointed at the test app: REST joins `base`. */
function environment(url: string): DeepgramEnvironmentUrls {
  const ws = url.replace(/^http/, 'ws');
  return { base: url, production: ws, agent: ws, agentRest: url };
}

function transcriptOf(response: ListenV1Response): string {
  return response.results.channels[0]!.alternatives![0]!.transcript!;
}

describe("the official @deepgram/sdk against POST /v1/listen (Deepgram's prerecorded API)", () => {
  let t: TestApp;
  let files: SlowServer;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  /** Authorization: Bearer <key> (the SDK's accessToken). */
  let bearer: DeepgramClient;
  /** Authorization: Token <key> (the SDK's apiKey, as Deepgram's own keys are sent). */
  let token: DeepgramClient;
  let audio: { file: string; reference: string; bytes: Buffer };
  let mulaw: Buffer;
  /** Every body the server sent a Deepgram client, with the SDK type it claims to be. */
  const captured: { type: 'ListenV1Response' | 'ListenV1AcceptedResponse'; body: unknown; what: string }[] = [];

  const wer = (hypothesis: string): number => corpusWer([{ reference: audio.reference, hypothesis }]);
  const keyHeaders = { authorization: `Bearer ${KEY}` };

  beforeAll(async () => {
    t = await startTestApp({
      env: {
        API_KEYS: KEY,
        SECRET_KEY,
        JOBS_ALLOW_URLS: 'true',
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'asr-deepgram-'));
    const made = twoSentences(dir);
    audio = { ...made, bytes: readFileSync(made.file) };
    execFileSync('sox', [made.file, '-r', '8000', '-c', '1', '-e', 'mu-law', '-t', 'raw', join(dir, 'two.ul')]);
    mulaw = readFileSync(join(dir, 'two.ul'));
    files = await fileServer({ 'two.wav': audio.bytes, 'noise.bin': randomBytes(20_000) });
    hooks = await receiver();
    bearer = new DeepgramClient({ accessToken: KEY, environment: environment(t.url), maxRetries: 0 });
    token = new DeepgramClient({ apiKey: KEY, environment: environment(t.url), maxRetries: 0 });
  });
  afterAll(async () => {
    await t.close();
    await files.stop();
    hooks.server.closeAllConnections();
    await new Promise((resolve) => hooks.server.close(resolve));
  });

  it('transcribes a WAV body: words, utterances and paragraphs per segment, warnings for what it cannot do', async () => {
    const { data, rawResponse } = await bearer.listen.v1.media
      .transcribeFile(
        { data: audio.bytes, contentType: 'audio/wav' },
        {
          model: 'nova-3',
          punctuate: true,
          utterances: true,
          paragraphs: true,
          diarize: true,
          tag: 'e2e',
          extra: 'run:one',
        },
      )
      .withRawResponse();
    captured.push({ type: 'ListenV1Response', body: data, what: 'file, every feature' });
    const response = data as ListenV1Response;
    const { metadata } = response;
    expect(wer(transcriptOf(response))).toBeLessThan(MAX_WER);
    expect(metadata.request_id).toBe(rawResponse.headers.get('dg-request-id'));
    expect(metadata.sha256).toBe(sha256(audio.bytes));
    expect(metadata.duration).toBeGreaterThan(5);
    expect(metadata.channels).toBe(1);
    expect(Object.keys(metadata.model_info)).toEqual(metadata.models);
    expect(metadata.model_info[metadata.models[0]!]).toMatchObject({ name: 'pocketsphinx-en-us' });
    expect(metadata.tags).toEqual(['e2e']);
    expect((metadata as { extra?: unknown }).extra).toEqual({ run: 'one' });
    const warned = ((metadata as { warnings?: { parameter: string }[] }).warnings ?? []).map((w) => w.parameter);
    expect(warned.sort()).toEqual(['diarize', 'model', 'punctuate']);

    const alternative = response.results.channels[0]!.alternatives![0]!;
    const words = alternative.words!;
    expect(words.length).toBeGreaterThan(10);
    for (const [i, word] of words.entries()) {
      expect(word.end!).toBeGreaterThan(word.start!);
      expect(word.end!).toBeLessThanOrEqual(metadata.duration + 0.01);
      expect(word.confidence!).toBeGreaterThanOrEqual(0);
      expect(word.confidence!).toBeLessThanOrEqual(1);
      if (i > 0) expect(word.start!).toBeGreaterThanOrEqual(words[i - 1]!.end! - 0.001);
    }
    expect(wer(words.map((w) => w.word).join(' '))).toBeLessThan(MAX_WER);
    expect(alternative.confidence!).toBeGreaterThan(0);
    const utterances = response.results.utterances!;
    expect(utterances.length).toBeGreaterThanOrEqual(2);
    // The second sentence starts after the first one's pause.
    expect(utterances[1]!.start!).toBeGreaterThan(2.5);
    expect(alternative.paragraphs!.paragraphs).toHaveLength(utterances.length);
  });

  it('takes the Token scheme Deepgram keys are sent with, and answers a plain request without warnings', async () => {
    const data = await token.listen.v1.media.transcribeFile(audio.bytes, {});
    captured.push({ type: 'ListenV1Response', body: data, what: 'file, Token, no options' });
    const response = data as ListenV1Response;
    expect(wer(transcriptOf(response))).toBeLessThan(MAX_WER);
    expect(response.metadata).not.toHaveProperty('warnings');
    expect(response.results.utterances).toBeUndefined();
  });

  it('fetches {url} (JOBS_ALLOW_URLS) and transcribes it the same way', async () => {
    const data = await bearer.listen.v1.media.transcribeUrl({ url: `${files.base}/two.wav`, utterances: true });
    captured.push({ type: 'ListenV1Response', body: data, what: 'url' });
    const response = data as ListenV1Response;
    expect(wer(transcriptOf(response))).toBeLessThan(MAX_WER);
    expect(response.metadata.sha256).toBe(sha256(audio.bytes));
    expect(response.results.utterances!.length).toBeGreaterThanOrEqual(2);
  });

  it('reads headerless 8 kHz μ-law with encoding and sample_rate', async () => {
    const data = await bearer.listen.v1.media.transcribeFile(
      mulaw,
      { encoding: 'mulaw' },
      { queryParams: { sample_rate: 8000 } },
    );
    captured.push({ type: 'ListenV1Response', body: data, what: 'raw mu-law' });
    const response = data as ListenV1Response;
    expect(response.metadata.sha256).toBe(sha256(mulaw));
    expect(response.metadata.duration).toBeCloseTo(mulaw.length / 8000, 1);
    const found = wer(transcriptOf(response));
    console.log(`μ-law 8 kHz WER ${found.toFixed(1)}%`);
    expect(found).toBeLessThan(MAX_WER + 10);
  });

  it('with a callback: answers {request_id} at once, then POSTs the signed Deepgram response there', async () => {
    const before = hooks.calls.length;
    const accepted = (await bearer.listen.v1.media.transcribeFile(audio.bytes, {
      callback: hooks.url,
      utterances: true,
    })) as ListenV1AcceptedResponse;
    captured.push({ type: 'ListenV1AcceptedResponse', body: accepted, what: 'callback accepted' });
    expect(Object.keys(accepted)).toEqual(['request_id']);
    await waitFor(() => hooks.calls.length > before, { what: 'the callback', timeoutMs: 60_000 });
    const call = hooks.calls[before]!;
    // Signed like every job webhook, with the submitting key's secret.
    const secret = (await (await fetch(`${t.url}/api/v1/auth/webhook-secret`, { headers: keyHeaders })).json()) as {
      secret: string;
    };
    const verified = new Webhook(secret.secret).verify(call.body, call.headers as Record<string, string>);
    expect(() =>
      new Webhook(secret.secret).verify(call.body.replace('"', ' "'), call.headers as Record<string, string>),
    ).toThrow();
    captured.push({ type: 'ListenV1Response', body: verified, what: 'callback body' });
    const response = verified as ListenV1Response;
    expect(response.metadata.request_id).toBe(accepted.request_id);
    expect(response.metadata.sha256).toBe(sha256(audio.bytes));
    expect(wer(transcriptOf(response))).toBeLessThan(MAX_WER);
    expect(response.results.utterances!.length).toBeGreaterThanOrEqual(2);
    // The request is a job: its id is the request_id, and it says the callback was delivered.
    const job = (await (
      await fetch(`${t.url}/api/v1/jobs/${accepted.request_id}`, { headers: keyHeaders })
    ).json()) as JobView;
    expect(job).toMatchObject({ status: 'succeeded', webhook: { url: hooks.url, state: 'delivered' } });
  });

  it('with a callback and a {url}: the job fetches it; a failed job calls back with the error', async () => {
    const before = hooks.calls.length;
    const fromUrl = await bearer.listen.v1.media.transcribeUrl({ url: `${files.base}/two.wav`, callback: hooks.url });
    const failing = await bearer.listen.v1.media.transcribeUrl({ url: `${files.base}/noise.bin`, callback: hooks.url });
    captured.push({ type: 'ListenV1AcceptedResponse', body: fromUrl, what: 'url callback accepted' });
    await waitFor(() => hooks.calls.length >= before + 2, { what: 'two callbacks', timeoutMs: 60_000 });
    const bodies = hooks.calls.slice(before).map((c) => JSON.parse(c.body) as Record<string, unknown>);
    const byId = (id: string) => bodies.find((b) => JSON.stringify(b).includes(id))!;
    const succeeded = byId((fromUrl as ListenV1AcceptedResponse).request_id) as unknown as ListenV1Response;
    captured.push({ type: 'ListenV1Response', body: succeeded, what: 'url callback body' });
    // The runner hashes what it downloaded: the URL's bytes.
    expect(succeeded.metadata.sha256).toBe(sha256(audio.bytes));
    expect(wer(transcriptOf(succeeded))).toBeLessThan(MAX_WER);
    expect(byId((failing as ListenV1AcceptedResponse).request_id)).toEqual({
      err_code: 'invalid_audio',
      err_msg: expect.stringMatching(/could not decode/) as string,
      request_id: (failing as ListenV1AcceptedResponse).request_id,
    });
  });

  /** The SDK's error for a request, with the status and Deepgram's error body. */
  async function refusal(request: Promise<unknown>): Promise<{ status?: number; body: unknown }> {
    const error = await request.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DeepgramError);
    return { status: (error as DeepgramError).statusCode, body: (error as DeepgramError).body };
  }

  const deepgramError = (code: string, message: RegExp) => ({
    err_code: code,
    err_msg: expect.stringMatching(message) as string,
    request_id: expect.any(String) as string,
  });

  it('answers bad parameters with 400 in Deepgram’s error shape', async () => {
    expect(
      await refusal(bearer.listen.v1.media.transcribeFile(audio.bytes, {}, { queryParams: { bogus: 'x' } })),
    ).toEqual({ status: 400, body: deepgramError('unknown_parameter', /"bogus"/) });
    expect(await refusal(bearer.listen.v1.media.transcribeFile(audio.bytes, { language: 'fr' }))).toEqual({
      status: 400,
      body: deepgramError('unsupported_language', /"fr"/),
    });
    expect(await refusal(bearer.listen.v1.media.transcribeFile(audio.bytes, { encoding: 'linear16' }))).toEqual({
      status: 400,
      body: deepgramError('invalid_parameter', /sample_rate/),
    });
    expect(
      await refusal(bearer.listen.v1.media.transcribeFile(audio.bytes, { callback: 'http://10.255.255.1/hook' })),
    ).toEqual({ status: 400, body: deepgramError('target_not_allowed', /^callback: /) });
    const malformed = await fetch(`${t.url}/v1/listen?punctuate=maybe`, {
      method: 'POST',
      headers: { ...keyHeaders, 'content-type': 'audio/wav' },
      body: audio.bytes,
    });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual(deepgramError('invalid_parameter', /punctuate must be true or false/));
  });

  it('answers bad audio and bad bodies with the right status in Deepgram’s error shape', async () => {
    expect(await refusal(bearer.listen.v1.media.transcribeFile(randomBytes(20_000), {}))).toEqual({
      status: 400,
      body: deepgramError('invalid_audio', /could not decode/),
    });
    expect(await refusal(bearer.listen.v1.media.transcribeUrl({ url: `${files.base}/missing.wav` }))).toEqual({
      status: 400,
      body: deepgramError('fetch_failed', /HTTP 404/),
    });
    const send = async (type: string, body: string | Buffer): Promise<[number, unknown]> => {
      const response = await fetch(`${t.url}/v1/listen`, {
        method: 'POST',
        headers: { ...keyHeaders, 'content-type': type },
        body,
      });
      return [response.status, await response.json()];
    };
    expect(await send('audio/wav', Buffer.alloc(0))).toEqual([400, deepgramError('empty_audio', /body is empty/)]);
    expect(await send('text/plain', 'hello')).toEqual([415, deepgramError('unsupported_media_type', /audio\/\*/)]);
    expect(await send('application/json', JSON.stringify({ url: `${files.base}/two.wav`, model: 'x' }))).toEqual([
      400,
      deepgramError('invalid_body', /only "url"/),
    ]);
  });

  it('refuses a missing or wrong key with 401 in Deepgram’s error shape', async () => {
    const anonymous = await fetch(`${t.url}/v1/listen`, {
      method: 'POST',
      headers: { 'content-type': 'audio/wav' },
      body: audio.bytes,
    });
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual(deepgramError('unauthorized', /API key/));
    const wrong = new DeepgramClient({ apiKey: 'not-the-key', environment: environment(t.url), maxRetries: 0 });
    expect(await refusal(wrong.listen.v1.media.transcribeFile(audio.bytes, {}))).toEqual({
      status: 401,
      body: deepgramError('unauthorized', /not valid/),
    });
  });

  it('every response captured has each field the SDK’s types mark required, with its declared type', () => {
    const types = new DeclaredTypes(
      join(dirname(require.resolve('@deepgram/sdk/package.json')), 'dist/cjs/api/types/index.d.ts'),
    );
    expect(captured.length).toBeGreaterThanOrEqual(8);
    for (const { type, body, what } of captured)
      expect({ what, problems: types.violations(body, type) }).toEqual({ what, problems: [] });
    // The check can fail: a response missing a required field, or with a field of the wrong kind, is caught.
    const first = structuredClone(captured[0]!.body) as ListenV1Response;
    delete (first.metadata as Partial<ListenV1Response['metadata']>).sha256;
    (first.results.channels[0]!.alternatives![0]!.words![0] as { start: unknown }).start = '0.5';
    expect(types.violations(first, 'ListenV1Response').sort()).toEqual([
      'ListenV1Response.metadata.sha256: required, missing',
      'ListenV1Response.results.channels[0].alternatives[0].words[0].start: expected a number, got string',
    ]);
  });
});
