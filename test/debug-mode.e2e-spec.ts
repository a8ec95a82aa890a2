import { startTestApp } from './support/test-app';
import { TestRoutesModule } from './support/test-routes';

describe('API_DEBUG=true', () => {
  it('adds the error and its stack to 500 responses and turns on debug logging', async () => {
    const t = await startTestApp({ env: { API_DEBUG: 'true', LOG_LEVEL: 'WARNING' }, imports: [TestRoutesModule] });
    try {
      const response = await fetch(`${t.url}/test/crash`, { headers: { 'x-request-id': 'debug-crash' } });
      expect(response.status).toBe(500);
      const body = (await response.json()) as { requestId: string; detail?: { error?: string; stack?: string } };
      expect(body.requestId).toBe('debug-crash');
      expect(body.detail?.error).toBe('database password is hunter2');
      expect(body.detail?.stack).toContain('test-routes.ts');
      expect(t.config.logging.level).toBe('debug');
    } finally {
      await t.close();
    }
  });
});
