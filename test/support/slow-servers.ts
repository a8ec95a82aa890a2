import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';

/** One request a test server saw: when it came, and when its connection closed (the client gave up or finished). */
export interface SeenCall {
  at: number;
  closedAt?: number;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface SlowServer {
  server: Server;
  /** http://127.0.0.1:<port> */
  base: string;
  calls: SeenCall[];
  /** Requests whose connection is still open. */
  open(): number;
  /** The most requests that were open at the same time. */
  peakOpen(): number;
  stop(): Promise<void>;
}

/** A loopback server whose handler gets each request with a record that closes when the connection does. */
async function slowServer(handle: (res: ServerResponse, call: SeenCall) => () => void): Promise<SlowServer> {
  const calls: SeenCall[] = [];
  let open = 0;
  let peak = 0;
  const server = createServer((req, res) => {
    const call: SeenCall = { at: Date.now(), path: req.url ?? '/', headers: req.headers };
    calls.push(call);
    open += 1;
    peak = Math.max(peak, open);
    req.resume();
    const stopHandler = handle(res, call);
    res.on('close', () => {
      stopHandler();
      call.closedAt = Date.now();
      open -= 1;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    base: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    calls,
    open: () => open,
    peakOpen: () => peak,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Answers 200 with audio headers at once, then one byte every `everyMs`, never finishing. */
export function trickleServer(everyMs: number): Promise<SlowServer> {
  return slowServer((res) => {
    res.writeHead(200, { 'content-type': 'audio/wav' });
    res.write(Buffer.from('R'));
    const timer = setInterval(() => res.write(Buffer.from('I')), everyMs);
    return () => clearInterval(timer);
  });
}

/** Takes every request and never answers it. */
export function hangingServer(): Promise<SlowServer> {
  return slowServer(() => () => undefined);
}

/**
 * Answers `/<name>` with 200 and that file's bytes (URL jobs' audio) with a Content-Length, or chunked (no length
 * declared) for `/<name>?chunked`; 404 for other names.
 */
export function fileServer(files: Record<string, Buffer>): Promise<SlowServer> {
  return slowServer((res, call) => {
    const url = new URL(call.path, 'http://files');
    const body = files[url.pathname.slice(1)];
    if (body === undefined) {
      res.writeHead(404).end();
    } else if (url.searchParams.has('chunked')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(body);
      res.end();
    } else {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
    }
    return () => undefined;
  });
}

/** Answers every request with `status` at once. */
export function answeringServer(status: number): Promise<SlowServer> {
  return slowServer((res) => {
    res.statusCode = status;
    res.end();
    return () => undefined;
  });
}
