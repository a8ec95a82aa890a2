import type { IncomingMessage } from 'node:http';
import { redactUrl } from './log-redaction';
import { requestIdFor } from './request-id';

describe('redactUrl', () => {
  it('replaces the values of credential-like query parameters and keeps the rest', () => {
    expect(redactUrl('/api/v1/stream?token=abc&language=en&API_KEY=k')).toBe(
      '/api/v1/stream?token=%5BREDACTED%5D&language=en&API_KEY=%5BREDACTED%5D',
    );
  });

  it('leaves URLs without a query alone', () => {
    expect(redactUrl('/health/ready')).toBe('/health/ready');
  });

  it('redacts every credential-like parameter, repeated ones too, and keeps the fragment', () => {
    const url =
      '/a?access_token=1&key=2&secret=3&signature=4&X-Amz-Signature=5&X-Amz-Credential=6&client_secret=7&token=8&token=9&keep=ok#frag';
    const redacted = redactUrl(url);
    expect(redacted).not.toMatch(/=[1-9](&|#|$)/);
    expect(redacted).toContain('keep=ok');
    expect(redacted.endsWith('#frag')).toBe(true);
    // Two `token` values become one redacted one.
    expect(redacted.match(/[?&]token=/g)).toHaveLength(1);
  });

  it('redacts the user info of an absolute URL', () => {
    expect(redactUrl('https://user:pa55@example.com/hook?sig=abc')).toBe(
      'https://[REDACTED]@example.com/hook?sig=%5BREDACTED%5D',
    );
  });
});

describe('requestIdFor', () => {
  const request = (id?: string | string[]): IncomingMessage =>
    ({ headers: id === undefined ? {} : { 'x-request-id': id } }) as unknown as IncomingMessage;

  it('keeps a plain client id', () => {
    expect(requestIdFor(request('trace-01:abc.DEF_9'))).toBe('trace-01:abc.DEF_9');
    expect(requestIdFor(request(['first', 'second']))).toBe('first');
  });

  it('replaces a missing, oversized or unsafe id with a UUID', () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const id of [undefined, 'x'.repeat(129), 'new\nline', '', '<script>']) {
      expect(requestIdFor(request(id))).toMatch(uuid);
    }
  });
});
