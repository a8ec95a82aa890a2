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
import { directive, locationFor, locations } from './support/nginx-config';
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

/** A main nginx.conf in `dir` around the site config, every path of nginx's own inside `dir`. */
function writeMainConfig(dir: string, site: string): string {
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
      site,
      '}',
    ].join('\n'),
  );
  return main;
}

describe('deploy/nginx/asr-api.conf, as nginx reads it', () => {
  let site: string;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-nginx-conf-'));
    const tls = selfSignedCertificate(dir);
    site = siteConfig({ http: await freePort(), https: await freePort(), upstream: await freePort() }, tls);
    execFileSync('nginx', ['-t', '-q', '-p', dir, '-c', writeMainConfig(dir, site)], { stdio: 'pipe' });
  });

  it.each(['/api/v1/stream', '/v1/realtime', '/v1/listen'])(
    'upgrades %s to a WebSocket for as long as a session, unbuffered; the same path without an upgrade is REST',
    (path) => {
      const all = locations(site);
      const live = locationFor(all, path);
      expect(live?.pattern).toBeDefined();
      const body = live!.body;
      expect(directive(body, 'proxy_pass')).toBe('http://asr_api');
      expect(body).toMatch(/^\s*proxy_set_header\s+Upgrade\s+\$http_upgrade;/m);
      expect(body).toMatch(/^\s*proxy_set_header\s+Connection\s+\$asr_connection_upgrade;/m);
      expect(body).toMatch(/^\s*proxy_set_header\s+X-Forwarded-For\s+\$proxy_add_x_forwarded_for;/m);
      expect([directive(body, 'proxy_buffering'), directive(body, 'proxy_read_timeout')]).toEqual(['off', '4h']);
      expect(directive(body, 'proxy_send_timeout')).toBe('4h');
      // Uploads to these paths (Deepgram's POST /v1/listen of raw audio) keep the server's body limit.
      expect(directive(body, 'client_max_body_size')).toBeUndefined();
      expect(directive(site, 'client_max_body_size')).toBe('100m');
      // Without an upgrade, the request goes (method and body kept) to a named location with the REST timeouts.
      const fallback = /error_page\s+418\s*=\s*@(\S+);/.exec(body)?.[1];
      expect(body).toMatch(/if\s*\(\$http_upgrade\s*=\s*""\)\s*\{\s*return\s+418;\s*\}/);
      const rest = all.find((l) => l.modifier === '@' && l.pattern === fallback);
      const root = locationFor(all, '/');
      expect(directive(rest?.body ?? '', 'proxy_pass')).toBe('http://asr_api');
      for (const timeout of ['proxy_connect_timeout', 'proxy_send_timeout', 'proxy_read_timeout']) {
        expect([timeout, directive(rest?.body ?? '', timeout)]).toEqual([timeout, directive(root!.body, timeout)]);
      }
    },
  );
});

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
    const main = writeMainConfig(dir, siteConfig(ports, tls));
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
