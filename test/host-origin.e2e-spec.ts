import { hostname, networkInterfaces } from 'node:os';
import { WebSocket } from 'ws';
import { rawRequest } from './support/raw-http';
import { streamUrl } from './support/stream-client';
import { startTestApp, type TestApp } from './support/test-app';

jest.setTimeout(60_000);

type Headers = Record<string, string>;
type Answer = { status: number; code?: string; message?: string };

/** The REST answer to GET/POST `path` with exactly these headers (Host and Origin as a browser would send them). */
async function rest(t: TestApp, path: string, headers: Headers, method = 'GET'): Promise<Answer> {
  const answer = await rawRequest(`${t.url}${path}`, { method, headers });
  const body = answer.headers['content-type']?.includes('json')
    ? (JSON.parse(answer.body) as { code?: string; message?: string })
    : {};
  return { status: answer.status, code: body.code, message: body.message };
}

/** The stream's handshake with these headers: 101 when it opens (closed again at once), else the refusal. */
function handshake(t: TestApp, headers: Headers): Promise<Answer> {
  const socket = new WebSocket(streamUrl(t.url), { headers });
  return new Promise((resolve, reject) => {
    socket.once('open', () => {
      socket.close();
      resolve({ status: 101 });
    });
    socket.once('unexpected-response', (_request, response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({ status: response.statusCode ?? 0, message: Buffer.concat(chunks).toString() }),
      );
    });
    socket.once('error', (error) => {
      if (socket.readyState !== socket.CLOSED) reject(error);
    });
  });
}

/** One of this machine's own non-loopback addresses, as a Host header names it. */
function ownAddress(): string | undefined {
  const addresses = Object.values(networkInterfaces()).flatMap((list) => list ?? []);
  const external = addresses.find((a) => !a.internal);
  if (!external) return undefined;
  return external.family === 'IPv6' ? `[${external.address}]` : external.address;
}

const portOf = (t: TestApp): string => new URL(t.url).port;

/** Each case: headers, and the status a refusal must have (421 a Host not allowed, 403 an Origin not allowed). */
function forgedPairs(port: string): Record<string, { headers: Headers; status: 421 | 403 }> {
  return {
    'rebinding Host, no Origin (a same-origin GET)': {
      headers: { host: `rebind.attacker.example:${port}` },
      status: 421,
    },
    'rebinding Host with its own Origin': {
      headers: { host: `rebind.attacker.example:${port}`, origin: `http://rebind.attacker.example:${port}` },
      status: 421,
    },
    'Host evil.example, Origin http://evil.example': {
      headers: { host: 'evil.example', origin: 'http://evil.example' },
      status: 421,
    },
    'Host localhost, Origin http://evil.example': {
      headers: { host: `localhost:${port}`, origin: 'http://evil.example' },
      status: 403,
    },
    'Host 127.0.0.1, Origin of a look-alike name': {
      headers: { host: `127.0.0.1:${port}`, origin: `http://localhost.evil.example:${port}` },
      status: 403,
    },
    'Host localhost, Origin null (a sandboxed frame)': {
      headers: { host: `localhost:${port}`, origin: 'null' },
      status: 403,
    },
  };
}

describe('Host and Origin with the defaults (API_ALLOWED_HOSTS unset, CORS_ORIGINS=https://app.example)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { CORS_ORIGINS: 'https://app.example' } });
  });
  afterAll(() => t.close());

  it('refuses forged Host/Origin pairs on REST, with a code and a message naming the setting', async () => {
    const got: string[] = [];
    const want: string[] = [];
    for (const [kind, { headers, status }] of Object.entries(forgedPairs(portOf(t)))) {
      for (const [method, path] of [
        ['GET', '/api/v1/providers'],
        ['POST', '/api/v1/transcribe'],
        ['GET', '/'],
        ['GET', '/docs-json'],
      ] as const) {
        const answer = await rest(t, path, headers, method);
        const code = status === 421 ? 'host_not_allowed' : 'origin_not_allowed';
        const named = (status === 421 ? /API_ALLOWED_HOSTS/ : /CORS_ORIGINS/).test(answer.message ?? '');
        // Pages (the demo, the document) answer in JSON too when refused; only the status is compared for them.
        got.push(
          `${kind}: ${method} ${path} ${answer.status}${path.startsWith('/api/') ? ` ${answer.code} ${named}` : ''}`,
        );
        want.push(`${kind}: ${method} ${path} ${status}${path.startsWith('/api/') ? ` ${code} true` : ''}`);
      }
    }
    expect(got).toEqual(want);
    console.log(`defaults: ${got.length} forged REST requests refused`);
  });

  it('refuses the same pairs on the stream handshake', async () => {
    const got: string[] = [];
    const want: string[] = [];
    for (const [kind, { headers, status }] of Object.entries(forgedPairs(portOf(t)))) {
      const answer = await handshake(t, headers);
      const named = (status === 421 ? /API_ALLOWED_HOSTS/ : /CORS_ORIGINS/).test(answer.message ?? '');
      got.push(`${kind}: ${answer.status} ${named}`);
      want.push(`${kind}: ${status} true`);
    }
    expect(got).toEqual(want);
  });

  it('serves loopback names, this machine’s own names and addresses, and CORS_ORIGINS hosts, port or not', async () => {
    const port = portOf(t);
    const allowed: Headers[] = [
      { host: `localhost:${port}` },
      { host: `127.0.0.1:${port}` },
      { host: `127.0.0.2` },
      { host: `[::1]:${port}` },
      { host: `demo.localhost:${port}` },
      { host: `LOCALHOST:${port}` },
      { host: `${hostname()}:${port}` },
      { host: 'app.example', origin: 'https://app.example' },
      { host: `localhost:${port}`, origin: `http://localhost:${port}` },
      { host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` },
      // A page on an allowed host may call it under another allowed name.
      { host: `127.0.0.1:${port}`, origin: 'https://app.example' },
    ];
    const own = ownAddress();
    if (own) allowed.push({ host: `${own}:${port}`, origin: `http://${own}:${port}` });
    for (const headers of allowed) {
      expect([headers, (await rest(t, '/api/v1/providers', headers)).status]).toEqual([headers, 200]);
      expect([headers, (await handshake(t, headers)).status]).toEqual([headers, 101]);
    }
    console.log(`defaults: ${allowed.length} allowed Host/Origin pairs served on REST and on the handshake`);
  });

  it('answers /health and /metrics whatever the Host (kubelet and Prometheus name a pod IP)', async () => {
    const platform: Headers[] = [{ host: '10.1.2.3:8000' }, { host: 'evil.example', origin: 'http://evil.example' }];
    for (const path of ['/health', '/health/ready', '/metrics'])
      for (const headers of platform)
        expect([path, headers, (await rest(t, path, headers)).status]).toEqual([path, headers, 200]);
  });
});

describe('API_ALLOWED_HOSTS=*', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { API_ALLOWED_HOSTS: '*' } });
  });
  afterAll(() => t.close());

  it('serves any Host on REST and on the handshake', async () => {
    for (const host of ['evil.example', 'asr.internal:8443', '10.9.8.7']) {
      expect([host, (await rest(t, '/api/v1/providers', { host })).status]).toEqual([host, 200]);
      expect([host, (await handshake(t, { host })).status]).toEqual([host, 101]);
    }
  });

  it('still refuses a browser Origin that is neither the Host it names nor in CORS_ORIGINS', async () => {
    const own = { host: 'asr.internal', origin: 'http://asr.internal' };
    expect((await rest(t, '/api/v1/providers', own)).status).toBe(200);
    expect((await handshake(t, own)).status).toBe(101);
    const foreign = { host: 'asr.internal', origin: 'http://evil.example' };
    expect((await rest(t, '/api/v1/providers', foreign)).status).toBe(403);
    expect((await handshake(t, foreign)).status).toBe(403);
  });
});

describe('API_ALLOWED_HOSTS=asr.example.com (an explicit list is the whole list)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { API_ALLOWED_HOSTS: 'ASR.example.com' } });
  });
  afterAll(() => t.close());

  it('serves the listed host, with or without a port, and refuses every other, loopback included', async () => {
    const listed = { host: 'asr.example.com', origin: 'https://asr.example.com' };
    expect((await rest(t, '/api/v1/providers', listed)).status).toBe(200);
    expect((await rest(t, '/api/v1/providers', { host: 'asr.example.com:443' })).status).toBe(200);
    expect((await handshake(t, listed)).status).toBe(101);
    for (const host of [`localhost:${portOf(t)}`, 'asr.example.com.evil.example', 'evil.example']) {
      const answer = await rest(t, '/api/v1/providers', { host });
      expect([host, answer.status, answer.code]).toEqual([host, 421, 'host_not_allowed']);
      expect([host, (await handshake(t, { host })).status]).toEqual([host, 421]);
    }
    const foreign = { host: 'asr.example.com', origin: 'https://evil.example' };
    expect((await rest(t, '/api/v1/providers', foreign)).status).toBe(403);
    expect((await handshake(t, foreign)).status).toBe(403);
    expect((await rest(t, '/health', { host: 'evil.example' })).status).toBe(200);
  });
});
