import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { launchChromium } from './support/browser';
import { FakeOpenAi } from './support/fake-openai';
import { wavInt16 } from './support/mixes';
import { freePort, REPO_ROOT } from './support/processes';
import { LIBRIVOX_DIR } from './support/speech';
import { type StreamMessage } from './support/stream-client';
import { startTestApp, type TestApp } from './support/test-app';
import { httpsRequest, selfSignedCertificate } from './support/tls';

jest.setTimeout(180_000);

const SAMPLE = join(LIBRIVOX_DIR, 'sense_and_sensibility_01_austen_64kb-0880.wav');

/** The repo's site config with this test's ports, upstream and certificate; IPv6 listeners dropped. */
function siteConfig(
  ports: { http: number; https: number; upstream: number },
  tls: { cert: string; key: string },
): string {
  const conf = readFileSync(join(REPO_ROOT, 'deploy/nginx/asr-api.conf'), 'utf8');
  const replaced = conf
    .replace(/^\s*listen \[::\].*$/gm, '')
    .replace('listen 80;', `listen 127.0.0.1:${ports.http};`)
    .replace('listen 443 ssl http2;', `listen 127.0.0.1:${ports.https} ssl http2;`)
    .replace('server 127.0.0.1:8000', `server 127.0.0.1:${ports.upstream}`)
    .replace('/etc/ssl/certs/asr-api.crt', tls.cert)
    .replace('/etc/ssl/private/asr-api.key', tls.key);
  for (const expected of [`${ports.http};`, `${ports.https} ssl`, `:${ports.upstream}`, tls.cert, tls.key]) {
    if (!replaced.includes(expected)) throw new Error(`deploy/nginx/asr-api.conf changed shape: ${expected} not set`);
  }
  return replaced;
}

describe('real nginx with deploy/nginx/asr-api.conf in front of the service', () => {
  const fake = new FakeOpenAi();
  let t: TestApp;
  let nginx: ChildProcess;
  let https: string;
  let http: string;
  let ca: Buffer;

  beforeAll(async () => {
    await fake.start();
    t = await startTestApp({ env: { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: fake.url } });
    const dir = mkdtempSync(join(tmpdir(), 'asr-nginx-'));
    const tls = selfSignedCertificate(dir);
    ca = tls.pem;
    const ports = { http: await freePort(), https: await freePort(), upstream: Number(new URL(t.url).port) };
    const main = join(dir, 'nginx.conf');
    writeFileSync(
      main,
      [
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log warn;`,
        'daemon off;',
        'events {}',
        'http {',
        '  access_log off;',
        ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `  ${k}_temp_path ${dir}/${k};`),
        siteConfig(ports, tls),
        '}',
      ].join('\n'),
    );
    execFileSync('nginx', ['-t', '-q', '-p', dir, '-c', main], { stdio: 'pipe' });
    nginx = spawn('nginx', ['-p', dir, '-c', main], { stdio: 'ignore' });
    https = `https://localhost:${ports.https}`;
    http = `http://127.0.0.1:${ports.http}`;
    for (let i = 0; ; i += 1) {
      try {
        if ((await httpsRequest(`${https}/health`, ca)).status === 200) break;
      } catch (error) {
        if (i > 100) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });
  afterAll(async () => {
    nginx?.kill('SIGQUIT');
    await t.close();
    await fake.stop();
  });

  it('redirects http to https with 301', async () => {
    const response = await fetch(`${http}/api/v1/providers`, { redirect: 'manual' });
    expect(response.status).toBe(301);
    expect(response.headers.get('location')).toMatch(/^https:\/\/.*\/api\/v1\/providers$/);
  });

  it('carries an upload, a live stream of speech and a transcription slower than nginx’s default 60 s', async () => {
    // First in line at the fake: this transcription's provider call takes 65 s.
    fake.will({ kind: 'ok', delayMs: 65_000, text: 'the slow one' });
    const form = (): FormData => {
      const body = new FormData();
      body.append('file', new Blob([readFileSync(SAMPLE)]), 'sample.wav');
      return body;
    };
    const slowStarted = performance.now();
    const slow = httpsRequest(`${https}/api/v1/transcribe`, ca, { method: 'POST', body: form() });
    while (fake.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));

    const upload = await httpsRequest(`${https}/api/v1/transcribe`, ca, { method: 'POST', body: form() });
    expect(upload.status).toBe(200);
    expect(JSON.parse(upload.body)).toMatchObject({
      text: 'hello from the fake provider',
      provider: 'openai-compatible',
    });

    const socket = new WebSocket(`${https.replace('https', 'wss')}/api/v1/stream`, { ca });
    const messages: StreamMessage[] = [];
    socket.on('message', (data) => messages.push(JSON.parse((data as Buffer).toString()) as StreamMessage));
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const pcm = Buffer.from(wavInt16(SAMPLE).buffer);
    for (let at = 0; at < pcm.length; at += 3200) {
      socket.send(pcm.subarray(at, at + 3200));
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    socket.send(JSON.stringify({ type: 'close' }));
    const code = await new Promise<number>((resolve) => socket.once('close', resolve));
    expect(code).toBe(1000);
    expect(messages.filter((m) => m.type === 'speech.started').length).toBeGreaterThan(0);
    expect(messages.filter((m) => m.type === 'transcript.final' && m.text).length).toBeGreaterThan(0);

    const slowAnswer = await slow;
    const slowS = (performance.now() - slowStarted) / 1000;
    console.log(
      `through nginx: upload 200, stream closed 1000 with ${messages.length} messages, slow transcription 200 after ${slowS.toFixed(1)} s`,
    );
    expect(slowAnswer.status).toBe(200);
    expect(JSON.parse(slowAnswer.body)).toMatchObject({ text: 'the slow one' });
    expect(slowS).toBeGreaterThan(60);
  });

  it('serves the browser demo over https, and the page streams its microphone over wss', async () => {
    const browser = await launchChromium(SAMPLE);
    try {
      const context = await browser.newContext({ ignoreHTTPSErrors: true });
      await context.grantPermissions(['microphone'], { origin: https });
      const page = await context.newPage();
      const sockets: string[] = [];
      page.on('websocket', (socket) => sockets.push(socket.url()));
      const response = await page.goto(`${https}/`);
      expect(response?.headers()['content-security-policy']).toContain(`wss://${new URL(https).host}`);
      await page.getByRole('button', { name: 'Start' }).click();
      const final = page.locator('#live-transcript li.final .text').first();
      await final.waitFor({ timeout: 30_000 });
      await page.getByRole('button', { name: 'Stop' }).click();
      await page.getByText('Stopped.').waitFor({ timeout: 30_000 });
      expect(sockets).toEqual([expect.stringMatching(/^wss:\/\/localhost:\d+\/api\/v1\/stream\?/)]);
      expect(await final.textContent()).toBe('hello from the fake provider');
    } finally {
      await browser.close();
    }
  });
});
