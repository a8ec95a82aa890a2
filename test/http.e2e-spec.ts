import { validate } from './support/openapi-validator';
import { startTestApp, type TestApp } from './support/test-app';
import { TestRoutesModule } from './support/test-routes';

const METRIC = 'asr_http_request_duration_seconds_count';

function metricValue(text: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${METRIC}{`) && l.includes(labels));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('HTTP surface', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ imports: [TestRoutesModule] });
  });
  afterAll(() => t.close());

  describe('request ids', () => {
    it('echoes a valid x-request-id and logs the request under it', async () => {
      const response = await fetch(`${t.url}/test/slow?ms=1`, {
        headers: { 'x-request-id': 'client-req-42' },
      });
      expect(response.headers.get('x-request-id')).toBe('client-req-42');
      const line = t.logs.records().find((r) => (r.req as { id?: string } | undefined)?.id === 'client-req-42');
      expect(line).toMatchObject({ msg: 'request completed', res: { statusCode: 200 } });
    });

    it('generates one when absent and replaces one that is unsafe', async () => {
      const generated = (await fetch(`${t.url}/health`)).headers.get('x-request-id');
      expect(generated).toMatch(/^[0-9a-f-]{36}$/);
      const unsafe = await fetch(`${t.url}/health`, { headers: { 'x-request-id': 'a b\tc"}' } });
      expect(unsafe.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  it('never writes credentials to a log line', async () => {
    const secret = 'sk-test-very-secret-value';
    await fetch(`${t.url}/test/slow?ms=1&token=${secret}&api_key=${secret}`, {
      headers: { authorization: `Bearer ${secret}`, 'x-api-key': secret, 'x-request-id': 'secret-probe' },
    });
    await fetch(`${t.url}/nowhere?token=${secret}`, { headers: { authorization: `Bearer ${secret}` } });
    expect(t.logs.text).toContain('secret-probe');
    expect(t.logs.text).toContain('token=%5BREDACTED%5D');
    expect(t.logs.text).not.toContain(secret);
    expect(t.logs.text.toLowerCase()).not.toContain('bearer');
  });

  it('does not request-log health probes and metric scrapes', async () => {
    await fetch(`${t.url}/health`, { headers: { 'x-request-id': 'probe-live' } });
    await fetch(`${t.url}/health/ready`, { headers: { 'x-request-id': 'probe-ready' } });
    await fetch(`${t.url}/metrics`, { headers: { 'x-request-id': 'probe-metrics' } });
    await fetch(`${t.url}/test/slow?ms=1`, { headers: { 'x-request-id': 'probe-logged' } });
    expect(t.logs.text).toContain('probe-logged');
    expect(t.logs.text).not.toMatch(/probe-(live|ready|metrics)/);
  });

  describe('errors', () => {
    it('answers unknown routes with the error shape and 404', async () => {
      const response = await fetch(`${t.url}/no/such/route`, { headers: { 'x-request-id': 'missing-1' } });
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        status: 404,
        code: 'not_found',
        message: 'Cannot GET /no/such/route',
        requestId: 'missing-1',
      });
    });

    it('answers OpenAI-compatible paths with OpenAI’s envelope', async () => {
      const response = await fetch(`${t.url}/v1/no-such-endpoint`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: { message: 'Cannot GET /v1/no-such-endpoint', type: 'not_found_error', param: null, code: 'not_found' },
      });
    });

    it('hides internals of an unhandled error and logs it with its stack under the request id', async () => {
      const response = await fetch(`${t.url}/test/crash`, { headers: { 'x-request-id': 'crash-1' } });
      expect(response.status).toBe(500);
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ status: 500, code: 'internal_error', requestId: 'crash-1' });
      expect(JSON.stringify(body)).not.toContain('hunter2');
      expect(body).not.toHaveProperty('detail');
      const logged = t.logs.records().find((r) => r.requestId === 'crash-1' && r.level === 'error');
      expect(logged).toBeDefined();
      expect(JSON.stringify(logged)).toContain('test-routes.ts');
    });
  });

  it('counts requests in a histogram labelled by route template, method and status', async () => {
    const before = await (await fetch(`${t.url}/metrics`)).text();
    await fetch(`${t.url}/test/slow?ms=1`);
    await fetch(`${t.url}/test/slow?ms=2`);
    await fetch(`${t.url}/random/${Date.now()}`);
    const after = await (await fetch(`${t.url}/metrics`)).text();
    const slow = 'method="GET",route="/test/slow",status_code="200"';
    expect(metricValue(after, slow) - metricValue(before, slow)).toBe(2);
    const unmatched = 'method="GET",route="(unmatched)",status_code="404"';
    expect(metricValue(after, unmatched) - metricValue(before, unmatched)).toBe(1);
    expect(after).not.toContain('/random/');
    expect(after).toContain('process_cpu_user_seconds_total');
  });

  it('serves Swagger UI and a valid OpenAPI document', async () => {
    const ui = await fetch(`${t.url}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
    const document = (await (await fetch(`${t.url}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/health', '/health/ready']));
    await expect(validate(document)).resolves.toEqual({ valid: true, errors: [] });
  });

  it('serves the browser demo: the page and its files, a policy that allows only this server, revalidation', async () => {
    const page = await fetch(`${t.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await page.text();
    // Every file the page names is served, by a relative URL (the page must work under a proxy's path prefix).
    const files = [...html.matchAll(/(?:href|src)="([^"#]+)"/g)].map((m) => m[1]!).filter((f) => f !== 'docs');
    expect(files).toEqual(['demo/demo.css', 'demo/demo.js']);
    const policy = page.headers.get('content-security-policy')!;
    expect(policy).toContain("default-src 'self'");
    expect(policy).toContain(`connect-src 'self' ws://${new URL(t.url).host} wss://${new URL(t.url).host}`);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    for (const file of ['demo.js', 'live.js', 'microphone.js', 'pcm-worklet.js', 'file-tab.js', 'formats.js']) {
      const response = await fetch(`${t.url}/demo/${file}`);
      expect([file, response.status, response.headers.get('content-type')]).toEqual([
        file,
        200,
        'text/javascript; charset=utf-8',
      ]);
    }
    const etag = page.headers.get('etag')!;
    expect((await fetch(`${t.url}/`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    // Only the page's own files: not its type declarations, not paths that climb out of the folder.
    for (const path of ['/demo/tsconfig.json', '/demo/api-types.d.ts', '/demo/..%2f..%2fsrc%2fdemo.module.ts']) {
      const response = await fetch(`${t.url}${path}`);
      expect([path, response.status]).toEqual([path, 404]);
    }
    const document = (await (await fetch(`${t.url}/docs-json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).filter((p) => p === '/' || p.startsWith('/demo'))).toEqual([]);
  });
});

describe('ENABLE_DOCS=false, ENABLE_DEMO=false', () => {
  it('answers /docs, /docs-json, the demo page and its files with 404; the API still answers', async () => {
    const t = await startTestApp({ env: { ENABLE_DOCS: 'false', ENABLE_DEMO: 'false' } });
    try {
      expect((await fetch(`${t.url}/api/v1/providers`)).status).toBe(200);
      for (const path of ['/docs', '/docs-json', '/', '/demo/demo.js']) {
        const response = await fetch(`${t.url}${path}`);
        expect(response.status).toBe(404);
        expect(await response.json()).toMatchObject({ status: 404, code: 'not_found' });
      }
    } finally {
      await t.close();
    }
  });
});
