import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { selfSignedCertificate } from '../../../test/support/tls';
import { requestPinned } from './pinned-http';

describe('requestPinned over TLS', () => {
  let server: Server;
  let port: number;
  const servernames: string[] = [];
  let connections = 0;
  let requests = 0;

  beforeAll(async () => {
    const { cert, key } = selfSignedCertificate(mkdtempSync(join(tmpdir(), 'asr-pinned-')));
    server = createHttpsServer(
      {
        cert: readFileSync(cert),
        key: readFileSync(key),
        // Called with the ClientHello's server name; no context of its own: the default certificate answers.
        SNICallback: (servername, done) => {
          servernames.push(servername);
          done(null, undefined);
        },
      },
      (_req, res) => {
        requests += 1;
        res.end('ok');
      },
    );
    server.on('connection', () => (connections += 1));
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('dials the pinned address, sends the URL’s name as SNI, and still checks the certificate', async () => {
    const attempt = requestPinned(
      { url: new URL(`https://hooks.example.test:${port}/x`), address: '127.0.0.1', family: 4 },
      { signal: AbortSignal.timeout(5000) },
    );
    // The certificate is self-signed: refused, so pinning the address did not switch verification off.
    await expect(attempt).rejects.toMatchObject({ code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    expect(connections).toBe(1);
    expect(servernames).toEqual(['hooks.example.test']);
    expect(requests).toBe(0);
  });
});
