import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp, type TestApp } from './support/test-app';
import { childEnv, REPO_ROOT } from './support/processes';
import { selfSignedCertificate } from './support/tls';

const MARKER = '<!-- readme-example -->';

/** The shell blocks marked as runnable in the README: the ones that need nothing beyond localhost. */
function readmeExamples(): string[] {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  return readme
    .split(MARKER)
    .slice(1)
    .map((part) => /^\s*```sh\n([\s\S]*?)```/.exec(part)?.[1] ?? '');
}

function runShell(script: string, cwd: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    // node_modules/.bin on PATH, as inside `npm test`, so `npx asr-api` finds the built CLI without a network.
    const env = childEnv({ PATH: `${join(REPO_ROOT, 'node_modules', '.bin')}:/usr/local/bin:/usr/bin:/bin` });
    // stdin from /dev/null: with a socket there, bash takes itself for a remote shell and sources bashrc.
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('close', (status) => resolve({ status, output }));
  });
}

describe('README examples', () => {
  let t: TestApp;
  /** The same service behind its own TLS: the `openai` SDK's realtime client only connects with wss:. */
  let secure: TestApp;
  let certificate: string;
  beforeAll(async () => {
    t = await startTestApp();
    const tls = selfSignedCertificate(t.dir);
    certificate = tls.cert;
    secure = await startTestApp({ env: { TLS_CERT_FILE: tls.cert, TLS_KEY_FILE: tls.key } });
  });
  afterAll(async () => {
    await t.close();
    await secure.close();
  });

  it('has runnable examples', () => {
    expect(readmeExamples().length).toBeGreaterThan(0);
    expect(readmeExamples().every((block) => block.trim().length > 0)).toBe(true);
  });

  it('runs every marked example against a listening service', async () => {
    let output = '';
    for (const block of readmeExamples()) {
      const securePort = new URL(secure.url).port;
      const script = block
        .replaceAll('http://localhost:8000', t.url)
        .replaceAll('ws://localhost:8000', t.url.replace(/^http/, 'ws'))
        .replaceAll('https://localhost:8443', `https://localhost:${securePort}`)
        .replaceAll('/etc/asr-api/tls/cert.pem', certificate);
      const result = await runShell(script, REPO_ROOT);
      if (result.status !== 0) {
        throw new Error(`README example failed (exit ${result.status}):\n${block}\n--- output ---\n${result.output}`);
      }
      output += result.output;
    }
    expect(output).toContain('"status":"ok"');
    expect(output).toContain('"requestId":"my-trace-1"');
    expect(output).toContain('configuration is valid');
    expect(output).toContain('event: succeeded');
    expect(output).toMatch(/"text":"[a-z ]{10,}"/);
    expect(output).toContain('"words":[');
    expect(output).toMatch(/00:00:0\d,\d{3} --> /);
    expect(output).toContain('WEBVTT');
    // asr-api stream: a final line, "[start → end] text".
    expect(output).toMatch(/\[\d+\.\d{2} → \d+\.\d{2}\] [a-z ]{10,}/);
    // The other protocols' own SDKs, each with a transcript.
    expect(output).toMatch(/openai rest: [a-z ]{10,} \(\d+ segments\)/);
    expect(output).toMatch(/openai realtime: [a-z ]{10,}/);
    expect(output).toMatch(/deepgram prerecorded: [a-z ]{10,}/);
    expect(output).toMatch(/deepgram live: [a-z ]{10,}/);
  });
});
