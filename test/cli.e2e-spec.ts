import { execFileSync } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSync } from 'subtitle';
import { REPO_ROOT, runCli } from './support/processes';
import { librivoxSamples } from './support/speech';
import { corpusWer } from './support/wer';

function scratch(): string {
  return mkdtempSync(join(tmpdir(), 'asr-cli-'));
}

describe('asr-api CLI', () => {
  it('prints its version and help', async () => {
    const version = await runCli(['--version'], { cwd: scratch() });
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(version).toMatchObject({ status: 0, stdout: `${pkg.version}\n` });
    const help = await runCli(['--help'], { cwd: scratch() });
    for (const command of ['init', 'serve', 'config']) expect(help.stdout).toContain(command);
  });

  describe('transcribe', () => {
    const speech = librivoxSamples()[0]!;

    it('prints subtitles of a file made by ffmpeg, transcribed in-process', async () => {
      const mp3 = join(scratch(), 'speech.mp3');
      execFileSync('ffmpeg', ['-loglevel', 'error', '-i', speech.file, mp3]);
      const result = await runCli(['transcribe', mp3, '--format', 'srt'], { cwd: scratch() });
      expect(result.status).toBe(0);
      const cues = parseSync(result.stdout).flatMap((node) => (node.type === 'cue' ? [node.data] : []));
      expect(cues.length).toBeGreaterThan(0);
      expect(corpusWer([{ reference: speech.reference, hypothesis: cues.map((c) => c.text).join(' ') }])).toBeLessThan(
        45,
      );
    });

    it('exits 2 for a missing file and 1 with the reason when the engine refuses', async () => {
      const missing = await runCli(['transcribe', '/nonexistent.wav'], { cwd: scratch() });
      expect(missing).toMatchObject({ status: 2, stderr: 'no such file: /nonexistent.wav\n' });
      const refused = await runCli(['transcribe', speech.file, '--language', 'fr'], { cwd: scratch() });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('(unsupported_language)');
      expect(refused.stdout).toBe('');
    });
  });

  describe('init', () => {
    it('writes .env and storage directories once, keeps an edited .env, and reports system packages', async () => {
      const dir = scratch();
      const first = await runCli(['init'], { cwd: dir });
      expect(first.status).toBe(0);
      expect(readFileSync(join(dir, '.env'), 'utf8')).toBe(readFileSync(join(REPO_ROOT, '.env.example'), 'utf8'));
      expect(existsSync(join(dir, 'data', 'audio'))).toBe(true);
      expect(existsSync(join(dir, 'data', 'tmp'))).toBe(true);
      expect(first.stdout).toMatch(/system packages: all present|install them with: \/.*\/scripts\/setup-system.sh/);

      writeFileSync(join(dir, '.env'), 'API_PORT=9123\nTEMP_STORAGE_PATH=./scratch # edited\n');
      const second = await runCli(['init'], { cwd: dir });
      expect(second.status).toBe(0);
      expect(second.stdout).toContain('.env exists: left as it is');
      expect(readFileSync(join(dir, '.env'), 'utf8')).toContain('API_PORT=9123');
      expect(existsSync(join(dir, 'scratch'))).toBe(true);
    });

    it('stops with exit 2 on an invalid .env', async () => {
      const dir = scratch();
      writeFileSync(join(dir, '.env'), 'VAD_THRESHOLD=2\n');
      const result = await runCli(['init'], { cwd: dir });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('VAD_THRESHOLD: "2" is not allowed: must not be greater than 1');
    });
  });

  describe('config check', () => {
    it('exits 0 and prints the effective configuration with secrets masked', async () => {
      const result = await runCli(['config', 'check'], {
        cwd: scratch(),
        env: { LOG_LEVEL: 'INFO # comment', SECRET_KEY: 'a-secret-that-is-at-least-32-characters-long' },
      });
      expect(result.status).toBe(0);
      expect(result.stdout).toContain('LOG_LEVEL="info"');
      expect(result.stdout).toContain('SECRET_KEY="********"');
      expect(result.stdout).not.toContain('a-secret-that');
    });

    it('exits 1 on warnings (API_DEBUG in production)', async () => {
      const result = await runCli(['config', 'check'], { cwd: scratch(), env: { API_DEBUG: 'true' } });
      expect(result.status).toBe(1);
      expect(result.stderr).toContain('warning: API_DEBUG');
      expect(result.stderr).toContain('never enable it in production');
    });

    it('exits 2 naming API_PORT when it is not a number', async () => {
      const result = await runCli(['config', 'check'], { cwd: scratch(), env: { API_PORT: 'abc' } });
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/^ {2}API_PORT: "abc" is not allowed: must be an integer number/m);
    });

    it('exits 2 naming OPENAI_API_KEY when the openai provider has no key, and serve refuses the same way', async () => {
      const env = { ASR_PROVIDER: 'openai' };
      const check = await runCli(['config', 'check'], { cwd: scratch(), env });
      expect(check.status).toBe(2);
      const line = 'OPENAI_API_KEY: (unset) is not allowed: is required when ASR_PROVIDER=openai';
      expect(check.stderr).toContain(line);
      const serve = await runCli(['serve'], { cwd: scratch(), env });
      expect(serve.status).toBe(2);
      expect(serve.stderr).toContain(line);
    });

    it('reports every problem at once, one line each, masking secret values', async () => {
      const result = await runCli(['config', 'check'], {
        cwd: scratch(),
        env: { API_PORT: '70000', LOG_FORMAT: 'xml', ASR_PROVIDER: 'openai-compatible', ASR_API_KEY: '' },
      });
      expect(result.status).toBe(2);
      const problems = result.stderr.split('\n').filter((l) => l.startsWith('  '));
      expect(problems.map((l) => l.trim().split(':')[0]).sort()).toEqual(['API_PORT', 'ASR_BASE_URL', 'LOG_FORMAT']);
    });
  });

  describe('config check --connect (against a fake OpenAI-compatible server on 127.0.0.1)', () => {
    let server: Server;
    let baseUrl: string;
    const seen: { url?: string; authorization?: string }[] = [];
    beforeAll(async () => {
      server = createServer((req: IncomingMessage, res) => {
        seen.push({ url: req.url, authorization: req.headers.authorization });
        res.setHeader('content-type', 'application/json');
        if (req.headers.authorization !== 'Bearer good-key') {
          res.statusCode = 401;
          res.end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } }));
          return;
        }
        res.end(
          JSON.stringify({ object: 'list', data: [{ id: 'whisper-1', object: 'model', created: 0, owned_by: 'x' }] }),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const address = server.address();
      baseUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/v1`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('exits 0 when the key is accepted, after one authenticated GET /v1/models', async () => {
      seen.length = 0;
      const result = await runCli(['config', 'check', '--connect'], {
        cwd: scratch(),
        env: { ASR_PROVIDER: 'openai', OPENAI_API_KEY: 'good-key', OPENAI_BASE_URL: baseUrl },
      });
      expect(result.stdout).toContain('connect: ok: openai at');
      expect(result.status).toBe(0);
      expect(seen).toEqual([{ url: '/v1/models', authorization: 'Bearer good-key' }]);
    });

    it('exits 2 when the key is rejected', async () => {
      const result = await runCli(['config', 'check', '--connect'], {
        cwd: scratch(),
        env: { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: baseUrl, ASR_API_KEY: 'bad-key' },
      });
      expect(result.status).toBe(2);
      expect(result.stdout).toContain('the API key was rejected (HTTP 401)');
    });

    it('exits 2 when nothing listens at the base URL', async () => {
      const result = await runCli(['config', 'check', '--connect'], {
        cwd: scratch(),
        env: { ASR_PROVIDER: 'fireworks', FIREWORKS_API_KEY: 'k', FIREWORKS_BASE_URL: 'http://127.0.0.1:9/v1' },
      });
      expect(result.status).toBe(2);
      expect(result.stdout).toContain('connect: failed: fireworks at http://127.0.0.1:9/v1');
    });
  });
});
