import { shutDown } from '../apps/asr-api/src/graceful-shutdown';
import { startTestApp } from './support/test-app';
import { TestRoutesModule } from './support/test-routes';

describe('graceful shutdown', () => {
  it('turns readiness 503 while draining, lets an in-flight request finish, then stops accepting', async () => {
    const { app, url } = await startTestApp({
      env: { SHUTDOWN_DRAIN_S: '0.6', SHUTDOWN_GRACE_S: '5' },
      imports: [TestRoutesModule],
    });
    const inFlight = fetch(`${url}/test/slow?ms=900`);
    await new Promise((resolve) => setTimeout(resolve, 100));

    const shutdown = shutDown(app, 'SIGTERM');
    const ready = await fetch(`${url}/health/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'shutting_down' });
    // Liveness is not readiness: the process is still alive while it drains.
    expect((await fetch(`${url}/health`)).status).toBe(200);

    const slow = await inFlight;
    expect(slow.status).toBe(200);
    expect(await slow.json()).toEqual({ waitedMs: 900 });
    await expect(shutdown).resolves.toBe('clean');
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('cuts requests that outlive SHUTDOWN_GRACE_S and reports it', async () => {
    const { app, url, logs } = await startTestApp({ env: { SHUTDOWN_GRACE_S: '0.3' }, imports: [TestRoutesModule] });
    const stuck = fetch(`${url}/test/slow?ms=1500`).then(
      (response) => response.status,
      () => 'connection closed',
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    await expect(shutDown(app, 'SIGINT')).resolves.toBe('forced');
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await stuck).toBe('connection closed');
    expect(logs.text).toContain('SHUTDOWN_GRACE_S');
  });
});
