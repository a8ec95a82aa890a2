import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { createConnection as netConnect } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { WebSocket } from 'ws';
import { FakeOpenAi } from './support/fake-openai';
import { childEnv, freePort, MAIN, runCli } from './support/processes';
import { LIBRIVOX_DIR, librivoxSamples } from './support/speech';
import { sendAudio, type StreamMessage, type StreamRun } from './support/stream-client';
import { startTestApp, type TestApp } from './support/test-app';
import { httpsRequest, selfSignedCertificate } from './support/tls';
import { waitFor } from './support/wait';
import { corpusWer } from './support/wer';

jest.setTimeout(180_000);

const HEADERS_TIMEOUT_S = 2;

/** Two LibriVox sentences with a second of silence between: real speech, two utterances. */
function twoSentences(dir: string): { file: string; reference: string } {
  const [a, b] = librivoxSamples().filter((s) => s.id.endsWith('0880') || s.id.endsWith('0930'));
  const padded = join(dir, 'first-then-silence.wav');
  const file = join(dir, 'two.wav');
  execFileSync('sox', [a!.file, padded, 'pad', '0', '1.2']);
  execFileSync('sox', [padded, join(LIBRIVOX_DIR, `${b!.id}.wav`), file]);
  return { file, reference: `${a!.reference} ${b!.reference}` };
}

/** 16 kHz mono 16-bit PCM of a WAV file (what a streaming client sends by default). */
function pcm16(file: string): Buffer {
  return execFileSync('sox', [file, '-t', 'raw', '-e', 'signed', '-b', '16', '-r', '16000', '-c', '1', '-'], {
    maxBuffer: 1 << 26,
  });
}

/** Opens a `wss:` stream trusting only `ca`, and collects its messages until the server closes it. */
function openSecureStream(url: string, ca: Buffer): Promise<{ socket: WebSocket; run: Promise<StreamRun> }> {
  const socket = new WebSocket(url, { ca });
  const messages: StreamMessage[] = [];
  socket.on('message', (data, isBinary) => {
    if (!isBinary) messages.push(JSON.parse((data as Buffer).toString('utf8')) as StreamMessage);
  });
  const run = new Promise<StreamRun>((resolve) =>
    socket.once('close', (code, reason) => resolve({ messages, closeCode: code, closeReason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve({ socket, run }));
    socket.once('error', reject);
  });
}

/** The certificate a TLS handshake with `port` presents, trusting `ca` (default: the system's), checking `localhost`. */
function presentedCertificate(port: number, ca?: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.end();
    });
    socket.once('error', reject);
  });
}

/** A GET on a fresh connection each time (no keep-alive), so each request is a new accept on the shared port. */
function freshGet(url: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url}`)));
    req.on('error', reject);
    req.end();
  });
}

describe('native TLS: TLS_CERT_FILE and TLS_KEY_FILE', () => {
  let dir: string;
  let tls: { cert: string; key: string; pem: Buffer };
  let audio: { file: string; reference: string };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'asr-tls-'));
    tls = selfSignedCertificate(dir);
    audio = twoSentences(dir);
  });

  describe('one process, the embedded engine', () => {
    let t: TestApp;
    let port: number;
    let https: string;
    beforeAll(async () => {
      t = await startTestApp({
        env: { TLS_CERT_FILE: tls.cert, TLS_KEY_FILE: tls.key, HTTP_HEADERS_TIMEOUT_S: String(HEADERS_TIMEOUT_S) },
      });
      port = Number(new URL(t.url).port);
      https = `https://localhost:${port}`;
    });
    afterAll(() => t.close());

    it('presents the configured certificate', async () => {
      expect(await presentedCertificate(port, tls.pem)).toBe(new X509Certificate(tls.pem).fingerprint256);
      // A client that does not trust it is refused: this is the real handshake, not a plain port.
      await expect(presentedCertificate(port)).rejects.toThrow(/self[- ]signed/i);
    });

    it('answers /health, /health/ready and /metrics over HTTPS, and transcribes an upload', async () => {
      for (const path of ['/health', '/health/ready', '/metrics']) {
        expect([path, (await httpsRequest(`${https}${path}`, tls.pem)).status]).toEqual([path, 200]);
      }
      const form = new FormData();
      form.append('file', new Blob([readFileSync(audio.file)]), 'two.wav');
      const upload = await httpsRequest(`${https}/api/v1/transcribe`, tls.pem, { method: 'POST', body: form });
      expect(upload.status).toBe(200);
      const wer = corpusWer([
        { reference: audio.reference, hypothesis: (JSON.parse(upload.body) as { text: string }).text },
      ]);
      console.log(`TLS upload: WER ${wer.toFixed(1)}%`);
      expect(wer).toBeLessThan(45);
    });

    it('streams speech over wss: on /api/v1/stream and gets its finals', async () => {
      const { socket, run } = await openSecureStream(`wss://localhost:${port}/api/v1/stream`, tls.pem);
      await sendAudio(socket, pcm16(audio.file), { bytesPerSecond: 32_000, pace: 4 });
      socket.send(JSON.stringify({ type: 'close' }));
      const { messages, closeCode } = await run;
      expect(closeCode).toBe(1000);
      expect(messages[0]?.type).toBe('session.started');
      const finals = messages.filter((m) => m.type === 'transcript.final');
      const wer = corpusWer([{ reference: audio.reference, hypothesis: finals.map((f) => f.text).join(' ') }]);
      console.log(`TLS stream: ${finals.length} finals, WER ${wer.toFixed(1)}%`);
      expect(finals.length).toBeGreaterThanOrEqual(2);
      expect(wer).toBeLessThan(45);
    });

    it('cuts off a peer that opens a connection and never starts the handshake, as it would slow headers', async () => {
      const started = performance.now();
      const socket = netConnect({ host: '127.0.0.1', port });
      socket.on('error', () => undefined);
      await new Promise((resolve) => socket.once('close', resolve));
      const seconds = (performance.now() - started) / 1000;
      console.log(`TLS: a silent connection was closed after ${seconds.toFixed(2)} s`);
      // Node's own default would keep it 120 s.
      expect(seconds).toBeGreaterThan(HEADERS_TIMEOUT_S * 0.8);
      expect(seconds).toBeLessThan(HEADERS_TIMEOUT_S + 10);
    });

    it('does not speak plain HTTP or ws: on the TLS port', async () => {
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
      const plain = new WebSocket(`ws://127.0.0.1:${port}/api/v1/stream`);
      const outcome = await new Promise<string>((resolve) => {
        plain.once('open', () => resolve('open'));
        plain.once('error', (error) => resolve(`error: ${error.message}`));
      });
      expect(outcome).toMatch(/^error: /);
      // The server is still fine afterwards.
      expect((await httpsRequest(`${https}/health`, tls.pem)).status).toBe(200);
    });
  });

  // The built server (`npm test` builds it first), as deployed: the supervisor forks the workers, each builds its
  // own HTTPS listener from the same files on the shared port.
  describe('API_WORKERS=2, the built server', () => {
    const fake = new FakeOpenAi();
    let server: ChildProcess;
    let output = '';
    let port: number;
    beforeAll(async () => {
      await fake.start();
      port = await freePort();
      server = spawn(process.execPath, [MAIN], {
        cwd: dir,
        env: childEnv({
          API_HOST: '127.0.0.1',
          API_PORT: String(port),
          API_WORKERS: '2',
          ASR_PROVIDER: 'openai-compatible',
          ASR_BASE_URL: fake.url,
          AUDIO_STORAGE_PATH: join(dir, 'audio'),
          TEMP_STORAGE_PATH: join(dir, 'tmp'),
          TLS_CERT_FILE: tls.cert,
          TLS_KEY_FILE: tls.key,
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      server.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      server.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
      await waitFor(
        async () => {
          if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}:\n${output}`);
          const metrics = await httpsRequest(`https://localhost:${port}/metrics`, tls.pem).catch(() => undefined);
          return /^asr_workers 2$/m.test(metrics?.body ?? '');
        },
        { what: 'two workers serving HTTPS', timeoutMs: 60_000, everyMs: 200 },
      );
    });
    afterAll(async () => {
      server?.kill('SIGKILL');
      await fake.stop();
    });

    it('serves HTTPS and wss: from both workers on the shared port', async () => {
      for (let i = 0; i < 12; i += 1)
        expect(await freshGet(`https://localhost:${port}/api/v1/providers`, tls.pem)).toBe(200);
      const pids = new Set(
        output
          .split('\n')
          .filter((line) => line.includes('"request completed"') && line.includes('/api/v1/providers'))
          .map((line) => (JSON.parse(line) as { pid: number }).pid),
      );
      console.log(`TLS with 2 workers: 12 fresh connections answered by ${pids.size} worker processes`);
      expect(pids.size).toBe(2);

      const { socket, run } = await openSecureStream(`wss://localhost:${port}/api/v1/stream`, tls.pem);
      await sendAudio(socket, pcm16(audio.file), { bytesPerSecond: 32_000, pace: 0 });
      socket.send(JSON.stringify({ type: 'close' }));
      const { messages, closeCode } = await run;
      expect(closeCode).toBe(1000);
      expect(messages.filter((m) => m.type === 'transcript.final').map((m) => m.text)).toContain(
        'hello from the fake provider',
      );
      await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
    });

    it('refuses to start, naming the setting, when a TLS file cannot be read', async () => {
      const missing = join(dir, 'no-such.key');
      const result = await runCli(['serve'], {
        cwd: dir,
        env: { API_PORT: String(await freePort()), TLS_CERT_FILE: tls.cert, TLS_KEY_FILE: missing },
      });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('Invalid configuration; the service was not started:');
      expect(result.stderr).toContain(`TLS_KEY_FILE: ${missing} cannot be read (ENOENT`);
    });
  });
});
