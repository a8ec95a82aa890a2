import type { IncomingHttpHeaders } from 'node:http';
import {
  authenticatorFor as authenticator,
  bearer,
  nameOf,
  outcome,
  upgradeRequest as upgrade,
  WITH_KEYS,
} from '../../../test/support/auth-fixtures';
import type { AuthVerdict } from './authenticator';
import { presentedKey } from './handshake-credentials';

describe('presentedKey', () => {
  it.each<[IncomingHttpHeaders, string | undefined]>([
    [{ authorization: 'Bearer abc' }, 'abc'],
    [{ authorization: 'bearer   abc  ' }, 'abc'],
    // Deepgram's scheme.
    [{ authorization: 'Token abc' }, 'abc'],
    [{ authorization: 'token abc' }, 'abc'],
    [{ authorization: 'Token' }, undefined],
    [{ authorization: 'Tokens abc' }, undefined],
    [{ authorization: 'Basic abc' }, undefined],
    [{ authorization: 'Bearer a b' }, undefined],
    [{ 'x-api-key': ' abc ' }, 'abc'],
    [{ 'x-api-key': '  ' }, undefined],
    [{ authorization: 'Bearer first', 'x-api-key': 'second' }, 'first'],
    [{}, undefined],
  ])('%j → %j', (headers, key) => expect(presentedKey(headers)).toBe(key));
});

describe('Authenticator.isOpen', () => {
  it.each<[string, boolean, boolean]>([
    // path, open by default, open with METRICS_REQUIRE_KEY and DOCS_REQUIRE_KEY
    ['/health', true, true],
    ['/health/ready', true, true],
    ['/', true, true],
    ['/demo/app.js', true, true],
    ['/metrics', true, false],
    ['/docs', true, false],
    ['/docs/static/x.css', true, false],
    ['/docs-json', true, false],
    ['/api/v1/transcribe', false, false],
    ['/healthz', false, false],
    ['/demo', false, false],
  ])('%s: open %s, with *_REQUIRE_KEY %s', (path, open, openWhenRequired) => {
    expect(authenticator().auth.isOpen(path)).toBe(open);
    const strict = authenticator({ ...WITH_KEYS, METRICS_REQUIRE_KEY: 'true', DOCS_REQUIRE_KEY: 'true' }).auth;
    expect(strict.isOpen(path)).toBe(openWhenRequired);
  });
});

describe('Authenticator.http', () => {
  it('lets everyone in as the shared open tenant, with admin rights, when no keys are set', () => {
    const { auth } = authenticator({});
    expect(auth.enabled).toBe(false);
    expect(auth.http({}, '/api/v1/jobs', '10.0.0.7')).toEqual({
      ok: true,
      caller: { id: 'ip:10.0.0.7', authenticated: false, tenant: 'open', admin: true },
    });
  });

  it.each<[string, IncomingHttpHeaders, string]>([
    ['no key', {}, '401 unauthorized: this server wants an API key'],
    [
      'another scheme',
      { authorization: 'Basic YTpi' },
      '401 unauthorized: the Authorization header must be "Bearer <API key>" or "Token <API key>"',
    ],
    ['a wrong key', bearer('guess'), '401 unauthorized: the API key is not valid'],
    ['a stream token', bearer('st1.abc.def'), '403 forbidden: a stream token opens /api/v1/stream only'],
    ['a wrong key the Deepgram way', { authorization: 'Token guess' }, '401 unauthorized: the API key is not valid'],
    ['an ephemeral key', bearer('ek_st1.abc.def'), '403 forbidden: an ephemeral key opens /v1/realtime only'],
  ])('refuses %s', (_case, headers, expected) => {
    const verdict = authenticator().auth.http(headers, '/api/v1/transcribe', '10.0.0.7');
    expect(outcome(verdict)).toMatch(new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('challenges a refused request the Bearer way', () => {
    const verdict = authenticator().auth.http({}, '/api/v1/transcribe', '10.0.0.7');
    expect(verdict.ok ? undefined : verdict.error.headers).toEqual({ 'www-authenticate': 'Bearer realm="asr-api"' });
  });

  it.each<[string, IncomingHttpHeaders]>([
    ['Authorization: Bearer', bearer('alpha-key')],
    ['Authorization: Token', { authorization: 'Token alpha-key' }],
    ['X-API-Key', { 'x-api-key': 'alpha-key' }],
  ])('knows a valid key in %s by its name, never the key', (_case, headers) => {
    expect(authenticator().auth.http(headers, '/api/v1/jobs', '10.0.0.7')).toEqual({
      ok: true,
      caller: { id: `key:${nameOf('alpha-key')}`, authenticated: true, tenant: nameOf('alpha-key'), admin: false },
    });
  });

  it('gives the keys named in API_ADMIN_KEYS every tenant’s jobs', () => {
    const { auth } = authenticator({ ...WITH_KEYS, API_ADMIN_KEYS: nameOf('root-key') });
    const admin = (key: string): boolean | undefined => {
      const verdict = auth.http(bearer(key), '/api/v1/jobs', '10.0.0.7');
      return verdict.ok ? verdict.caller.admin : undefined;
    };
    expect([admin('root-key'), admin('alpha-key')]).toEqual([true, false]);
  });

  it('lets anyone reach the open paths, as an anonymous caller without admin rights', () => {
    expect(authenticator().auth.http({}, '/health/ready', '10.0.0.7')).toEqual({
      ok: true,
      caller: { id: 'ip:10.0.0.7', authenticated: false, tenant: 'open', admin: false },
    });
  });

  it('limits each caller to RATE_LIMIT_PER_MINUTE, with Retry-After, but never probes and scrapes', () => {
    const { auth } = authenticator({ ...WITH_KEYS, RATE_LIMIT_PER_MINUTE: '2' });
    const call = (path: string, headers = bearer('alpha-key')): AuthVerdict => auth.http(headers, path, '10.0.0.7');
    expect([call('/api/v1/jobs').ok, call('/api/v1/jobs').ok]).toEqual([true, true]);
    const refused = call('/api/v1/jobs');
    expect(outcome(refused)).toMatch(
      /^429 rate_limited: more than RATE_LIMIT_PER_MINUTE=2 requests a minute; try again in 30 s/,
    );
    expect(refused.ok ? undefined : refused.error.headers).toEqual({ 'retry-after': '30' });
    const probes = ['/health', '/health/ready', '/metrics'].flatMap((path) => [call(path), call(path, {})]);
    expect(probes.every((v) => v.ok)).toBe(true);
    // Another key has its own allowance; an open page like /docs counts against the caller's address.
    expect(call('/api/v1/jobs', bearer('root-key')).ok).toBe(true);
    expect([1, 2, 3].map(() => call('/docs', {}).ok)).toEqual([true, true, false]);
  });
});

describe('Authenticator.stream', () => {
  it('opens the stream with a key in a header', () => {
    const verdict = authenticator().auth.stream(upgrade(bearer('alpha-key')), new URLSearchParams());
    expect(outcome(verdict)).toBe(`key:${nameOf('alpha-key')}`);
  });

  it('opens the stream with a minted token in ?token=, for the key it was minted for', () => {
    const { auth, tokens } = authenticator();
    const query = new URLSearchParams({ token: tokens.mint(nameOf('alpha-key')).token });
    expect(outcome(auth.stream(upgrade(), query))).toBe(`key:${nameOf('alpha-key')}`);
  });

  it.each<[string, string, string]>([
    ['no credentials', '', '401 unauthorized: this server wants an API key'],
    [
      'two tokens',
      'token=st1.a.b&token=st1.c.d',
      '401 unauthorized: give exactly one token parameter (?token= appears 2 times)',
    ],
    ['a key in ?api_key=', 'api_key=alpha-key', '401 unauthorized: API keys do not belong in URLs'],
    ['a key in ?access_token=', 'access_token=alpha-key', '401 unauthorized: API keys do not belong in URLs'],
    ['a raw key in ?token=', 'token=alpha-key', '401 unauthorized: API keys do not belong in URLs'],
    ['a forged token', 'token=st1.e30.AAAA', '401 unauthorized: the stream token is not valid (bad signature)'],
  ])('refuses %s', (_case, query, expected) => {
    const verdict = authenticator().auth.stream(upgrade(), new URLSearchParams(query));
    expect(outcome(verdict).startsWith(expected)).toBe(true);
  });

  it('takes the client address from X-Forwarded-For only when TRUST_PROXY trusts the peer', () => {
    const forwarded = upgrade({ 'x-forwarded-for': '203.0.113.9' }, '127.0.0.1');
    const open = (trust: string): string =>
      outcome(authenticator({ TRUST_PROXY: trust }).auth.stream(forwarded, new URLSearchParams()));
    expect(open('loopback')).toBe('ip:203.0.113.9');
    expect(open('false')).toBe('ip:127.0.0.1');
  });

  it('ignores ?token= on an open server', () => {
    const verdict = authenticator({}).auth.stream(upgrade({}, '10.1.1.1'), new URLSearchParams('token=x&token=y'));
    expect(outcome(verdict)).toBe('ip:10.1.1.1');
  });

  it('counts stream openings against the caller’s rate limit', () => {
    const { auth, tokens } = authenticator({ ...WITH_KEYS, RATE_LIMIT_PER_MINUTE: '1' });
    const query = new URLSearchParams({ token: tokens.mint(nameOf('alpha-key')).token });
    expect(auth.stream(upgrade(), query).ok).toBe(true);
    expect(outcome(auth.stream(upgrade(), query))).toMatch(/^429 rate_limited/);
    expect(outcome(auth.stream(upgrade(bearer('alpha-key')), new URLSearchParams()))).toMatch(/^429 rate_limited/);
  });
});

describe('Authenticator.keyName', () => {
  it.each<[IncomingHttpHeaders, string | undefined]>([
    [bearer('root-key'), nameOf('root-key')],
    [bearer('guess'), undefined],
    [{}, undefined],
  ])('%j → %j', (headers, name) => expect(authenticator().auth.keyName(headers)).toBe(name));
});
