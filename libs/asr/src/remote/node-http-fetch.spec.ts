import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import OpenAI, { APIConnectionError, APIConnectionTimeoutError, toFile } from 'openai';
import { nodeHttpFetch } from './node-http-fetch';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

/** A real HTTP server on 127.0.0.1 that records each request and answers as the test says. */
async function server(answer: (received: Received, res: ServerResponse) => void): Promise<{
  url: string;
  received: Received[];
  close: () => Promise<void>;
}> {
  const received: Received[] = [];
  const http: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      received.push(entry);
      answer(entry, res);
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
};

describe('nodeHttpFetch (the remote providers’ transport)', () => {
  it('sends a multipart body as one buffer that a multipart parser reads back field for field, byte for byte', async () => {
    const fake = await server((_, res) => json(res, 200, { text: 'hello' }));
    try {
      const client = new OpenAI({ apiKey: 'k', baseURL: `${fake.url}/v1`, maxRetries: 0, fetch: nodeHttpFetch() });
      const wav = Buffer.from(Array.from({ length: 3001 }, (_, i) => (i * 7) % 256));
      const answer = await client.audio.transcriptions.create({
        file: await toFile(wav, 'audio.wav', { type: 'audio/wav' }),
        model: 'whisper-1',
        language: 'en',
        // A value with a line break and quotes travels as it is (only names are escaped).
        prompt: 'say "hi"\r\nthen stop',
      });
      expect(answer.text).toBe('hello');
      const [request] = fake.received;
      expect(request?.method).toBe('POST');
      expect(request?.url).toBe('/v1/audio/transcriptions');
      expect(request?.headers.authorization).toBe('Bearer k');
      expect(Number(request?.headers['content-length'])).toBe(request?.body.length);
      const form = await new Response(request?.body, {
        headers: { 'content-type': String(request?.headers['content-type']) },
      }).formData();
      expect(form.get('model')).toBe('whisper-1');
      expect(form.get('language')).toBe('en');
      expect(form.get('prompt')).toBe('say "hi"\r\nthen stop');
      const file = form.get('file') as File;
      expect(file.name).toBe('audio.wav');
      expect(file.type).toBe('audio/wav');
      expect(Buffer.from(await file.arrayBuffer()).equals(wav)).toBe(true);
    } finally {
      await fake.close();
    }
  });

  it('passes status, headers and body through: the SDK reads a 429 with its Retry-After, and a 204 has no body', async () => {
    const fake = await server((received, res) => {
      if (received.url === '/empty') {
        res.writeHead(204);
        res.end();
      } else json(res, 429, { error: { message: 'slow down' } }, { 'retry-after': '7' });
    });
    try {
      const fetch = nodeHttpFetch();
      const empty = await fetch(`${fake.url}/empty`, { method: 'DELETE' });
      expect(empty.status).toBe(204);
      expect(empty.body).toBeNull();
      const client = new OpenAI({ apiKey: 'k', baseURL: `${fake.url}/v1`, maxRetries: 0, fetch });
      const failure = await client.audio.transcriptions
        .create({ file: await toFile(Buffer.alloc(10), 'a.wav'), model: 'm' })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(OpenAI.APIError);
      expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
      expect((failure as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after')).toBe('7');
      expect((failure as Error).message).toContain('slow down');
    } finally {
      await fake.close();
    }
  });

  it('a timeout, also while the body arrives, is the SDK’s timeout error; a refused connection its connection error', async () => {
    // Headers at once, the body never finished.
    const fake = await server((_, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"text":');
    });
    try {
      const client = new OpenAI({
        apiKey: 'k',
        baseURL: `${fake.url}/v1`,
        maxRetries: 0,
        timeout: 200,
        fetch: nodeHttpFetch(),
      });
      const file = await toFile(Buffer.alloc(10), 'a.wav');
      await expect(client.audio.transcriptions.create({ file, model: 'm' })).rejects.toBeInstanceOf(
        APIConnectionTimeoutError,
      );
    } finally {
      await fake.close();
    }
    const closed = new OpenAI({ apiKey: 'k', baseURL: `${fake.url}/v1`, maxRetries: 0, fetch: nodeHttpFetch() });
    const refused = await closed.audio.transcriptions
      .create({ file: await toFile(Buffer.alloc(10), 'a.wav'), model: 'm' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(APIConnectionError);
    expect(refused).not.toBeInstanceOf(APIConnectionTimeoutError);
  });

  it('follows a redirect as fetch does, and a reset while the answer arrives is not a (retried) connection error', async () => {
    const fake = await server((received, res) => {
      if (received.url === '/v1/audio/transcriptions') {
        res.writeHead(307, { location: '/v2/audio/transcriptions' });
        res.end();
      } else if (received.url === '/v2/audio/transcriptions') {
        json(res, 200, { text: `moved ${received.body.length}` });
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"text":');
        setTimeout(() => res.socket?.destroy(), 20);
      }
    });
    try {
      const client = new OpenAI({ apiKey: 'k', baseURL: `${fake.url}/v1`, maxRetries: 0, fetch: nodeHttpFetch() });
      const file = await toFile(Buffer.alloc(10), 'a.wav');
      const moved = await client.audio.transcriptions.create({ file, model: 'm' });
      // The request went again, whole, to where the redirect pointed.
      expect(moved.text).toMatch(/^moved \d+$/);
      const again = fake.received.at(-1)!;
      expect(again.url).toBe('/v2/audio/transcriptions');
      const sent = again.body.toString('latin1');
      expect(sent).toContain('name="model"\r\n\r\nm\r\n');
      expect(sent).toContain(
        `filename="a.wav"\r\nContent-Type: application/octet-stream\r\n\r\n${'\0'.repeat(10)}\r\n`,
      );
      const cut = new OpenAI({ apiKey: 'k', baseURL: `${fake.url}/cut`, maxRetries: 0, fetch: nodeHttpFetch() });
      const failure = await cut.audio.transcriptions.create({ file, model: 'm' }).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Error);
      expect(failure).not.toBeInstanceOf(APIConnectionError);
    } finally {
      await fake.close();
    }
  });
});
