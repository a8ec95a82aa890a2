import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigOrThrow } from '@asr/config';
import { ApiError } from '@asr/observability';
import { DownloadError } from './download-watch';
import { scripted } from '../../../test/support/scripted-resolver';
import { type Resolver, TargetPolicy } from './target-policy';
import { UrlFetcher } from './url-fetcher';

const AUDIO = Buffer.from('RIFF-not-really-a-wav-but-bytes');

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof Error)) throw new Error('expected the download to fail');
  return error;
}

/** A loopback server that counts connections and records what each request asked for. */
describe('UrlFetcher against a real loopback server', () => {
  let server: Server;
  let port: number;
  let connections = 0;
  const requests: { url: string; headers: IncomingHttpHeaders }[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'asr-fetcher-'));

  beforeAll(async () => {
    server = createServer((req, res) => {
      requests.push({ url: req.url ?? '', headers: req.headers });
      if (req.url === '/audio.wav') res.end(AUDIO);
      else if (req.url === '/to-b') {
        res.writeHead(302, { location: `http://b.example.test:${port}/audio.wav` });
        res.end();
      } else if (req.url === '/to-private') {
        res.writeHead(302, { location: 'http://inside.example.test/audio.wav' });
        res.end();
      } else if (req.url === '/trickle') {
        res.writeHead(200);
        res.write('R');
        const timer = setInterval(() => res.write('I'), 200);
        res.on('close', () => clearInterval(timer));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    server.on('connection', () => (connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  beforeEach(() => {
    connections = 0;
    requests.length = 0;
  });

  const fetcher = (allowed: string[], resolver: Resolver, env: Record<string, string> = {}): UrlFetcher =>
    new UrlFetcher(
      new TargetPolicy(allowed, resolver),
      loadConfigOrThrow({ JOBS_DOWNLOAD_TIMEOUT_S: '5', JOBS_DOWNLOAD_MIN_RATE: '0', ...env }, dir),
    );
  let n = 0;
  const download = (f: UrlFetcher, url: string): Promise<string> => {
    const path = join(dir, `input-${(n += 1)}`);
    return f.download(url, dir, path, new AbortController().signal).then(() => path);
  };

  it('pins to the first answer that passes: [allowed, forbidden] → one lookup, the request reaches the allowed one', async () => {
    const resolver = scripted({ 'audio.example.test': ['127.0.0.1', '10.0.0.1'] });
    const path = await download(fetcher(['127.0.0.1'], resolver), `http://audio.example.test:${port}/audio.wav`);
    expect(readFileSync(path)).toEqual(AUDIO);
    expect(resolver.calls).toEqual(['audio.example.test']);
    expect(connections).toBe(1);
    // The name, not the address, is what the server was asked for.
    expect(requests.map((r) => [r.url, r.headers.host])).toEqual([['/audio.wav', `audio.example.test:${port}`]]);
  });

  it('skips answers that do not pass: [forbidden, allowed] reaches the allowed one', async () => {
    const resolver = scripted({ 'audio.example.test': ['169.254.169.254', '::7f00:1', '127.0.0.1'] });
    await download(fetcher(['127.0.0.1'], resolver), `http://audio.example.test:${port}/audio.wav`);
    expect(resolver.calls).toHaveLength(1);
    expect(requests).toHaveLength(1);
  });

  it.each([['127.0.0.1'], ['::ffff:127.0.0.1'], ['::ffff:7f00:1']])(
    'refuses without connecting when the only answer is loopback %s and loopback is not allowed',
    async (answer) => {
      const resolver = scripted({ 'audio.example.test': [answer] });
      const refused = download(fetcher([], resolver), `http://audio.example.test:${port}/audio.wav`);
      const error = await failure(refused);
      expect(error).toMatchObject({ code: 'target_not_allowed' });
      expect(error.message).not.toContain('127');
      expect(connections).toBe(0);
    },
  );

  it('refuses a loopback literal that is not allowed without connecting', async () => {
    const refused = download(fetcher([], scripted({})), `http://127.0.0.1:${port}/audio.wav`);
    await expect(refused).rejects.toBeInstanceOf(ApiError);
    expect(connections).toBe(0);
  });

  it('judges and pins every redirect hop with one lookup each, and refuses a hop to a private answer', async () => {
    const resolver = scripted({
      'a.example.test': ['127.0.0.1'],
      'b.example.test': ['127.0.0.1'],
      'inside.example.test': ['10.0.0.7'],
    });
    const allowedFetcher = fetcher(['127.0.0.1'], resolver);
    expect(readFileSync(await download(allowedFetcher, `http://a.example.test:${port}/to-b`))).toEqual(AUDIO);
    expect(resolver.calls).toEqual(['a.example.test', 'b.example.test']);
    expect(requests.map((r) => r.headers.host)).toEqual([`a.example.test:${port}`, `b.example.test:${port}`]);

    connections = 0;
    const refused = download(allowedFetcher, `http://a.example.test:${port}/to-private`);
    const error = await failure(refused);
    expect(error).toMatchObject({ code: 'target_not_allowed' });
    expect(error.message).not.toContain('10.0.0.7');
    // Only the first hop connected.
    expect(connections).toBe(1);
  });

  it('fails at JOBS_DOWNLOAD_TIMEOUT_S with download_timeout and leaves no partial file', async () => {
    const f = fetcher(['127.0.0.1'], scripted({}), { JOBS_DOWNLOAD_TIMEOUT_S: '1' });
    const path = join(dir, 'trickled');
    const started = performance.now();
    const failed = f.download(`http://127.0.0.1:${port}/trickle`, dir, path, new AbortController().signal);
    await expect(failed).rejects.toBeInstanceOf(DownloadError);
    await expect(failed).rejects.toMatchObject({ code: 'download_timeout' });
    const ms = performance.now() - started;
    expect(ms).toBeGreaterThan(950);
    expect(ms).toBeLessThan(2000);
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.part`)).toBe(false);
  });

  it('gives the caller’s reason when the caller aborts (cancel, shutdown)', async () => {
    const f = fetcher(['127.0.0.1'], scripted({}));
    const controller = new AbortController();
    const reason = new Error('cancelled');
    const pending = f.download(`http://127.0.0.1:${port}/trickle`, dir, join(dir, 'cancelled'), controller.signal);
    setTimeout(() => controller.abort(reason), 100);
    await expect(pending).rejects.not.toBeInstanceOf(DownloadError);
    expect(controller.signal.aborted).toBe(true);
  });

  it('fails an unreachable server with fetch_failed, naming the host but not the address it was pinned to', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const resolver = scripted({ 'gone.example.test': ['127.0.0.1'] });
    const error = await failure(download(fetcher(['127.0.0.1'], resolver), `http://gone.example.test:${closedPort}/a`));
    expect(error).toMatchObject({ code: 'fetch_failed' });
    expect(error.message).toContain(`connect ECONNREFUSED (gone.example.test:${closedPort})`);
    expect(error.message).not.toContain('127.0.0.1');
  });

  it('fails an answer other than 2xx with fetch_failed', async () => {
    const f = fetcher(['127.0.0.1'], scripted({}));
    const error = await failure(download(f, `http://127.0.0.1:${port}/missing`));
    expect(error).toMatchObject({ code: 'fetch_failed' });
    expect(error.message).toContain('HTTP 404');
  });
});
