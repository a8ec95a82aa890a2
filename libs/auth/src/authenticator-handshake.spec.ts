import type { IncomingHttpHeaders } from 'node:http';
import { loadConfigOrThrow } from '@asr/config';
import {
  authenticatorFor,
  authenticatorFor as authenticator,
  bearer,
  nameOf,
  outcome,
  upgradeRequest as upgrade,
  WITH_KEYS,
} from '../../../test/support/auth-fixtures';
import { OPEN_TENANT } from './api-keys';
import type { LiveProtocolName } from './handshake-credentials';
import { StreamTokens } from './stream-tokens';

const ALPHA = `key:${nameOf('alpha-key')}`;
const MINUTE = 60_000;

/** Subprotocols as a browser offers them: one header, comma-separated. */
const offering = (...protocols: string[]): IncomingHttpHeaders => ({ 'sec-websocket-protocol': protocols.join(', ') });

/** Changes the claims after signing: a longer life under the same signature. */
function tampered(ephemeral: string): string {
  const [version, claims, signature] = ephemeral.slice('ek_'.length).split('.');
  const decoded = JSON.parse(Buffer.from(claims!, 'base64url').toString()) as { exp: number };
  decoded.exp += 3600;
  return `ek_${version}.${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${signature}`;
}

/** StreamTokens of another server (another SECRET_KEY), or of this one while it had no keys. */
const foreignTokens = (env: Record<string, string>): StreamTokens => new StreamTokens(loadConfigOrThrow(env));

function handshake(
  protocol: LiveProtocolName,
  headers: IncomingHttpHeaders = {},
  query = '',
  auth = authenticator().auth,
): string {
  return outcome(auth.handshake(protocol, upgrade(headers), new URLSearchParams(query)));
}

describe('Authenticator.handshake: OpenAI Realtime', () => {
  const { tokens } = authenticator();
  const ephemeral = (now = Date.now()): string => tokens.mintEphemeral(nameOf('alpha-key'), {}, now).key;

  it.each<[string, () => IncomingHttpHeaders]>([
    ['a key in Authorization: Bearer (the SDK in Node)', () => bearer('alpha-key')],
    ['an ephemeral key in Authorization: Bearer', () => bearer(ephemeral())],
    [
      'an ephemeral key in the subprotocols (the SDK in a browser)',
      () => offering('realtime', `openai-insecure-api-key.${ephemeral()}`, 'openai-project.proj_1'),
    ],
    ['a key in the subprotocols', () => offering('realtime', 'openai-insecure-api-key.alpha-key')],
  ])('opens with %s, as the key’s caller', (_case, headers) => {
    expect(handshake('realtime', headers())).toBe(ALPHA);
  });

  it('hands the framing the session configuration the ephemeral key was minted with', () => {
    const session = { type: 'transcription', audio: { input: { format: { type: 'audio/pcmu' } } } };
    const key = tokens.mintEphemeral(nameOf('alpha-key'), { session }).key;
    const verdict = authenticator().auth.handshake(
      'realtime',
      upgrade(offering('realtime', `openai-insecure-api-key.${key}`)),
      new URLSearchParams(),
    );
    expect(verdict).toMatchObject({ ok: true, caller: { id: ALPHA }, session });
    const plain = authenticator().auth.handshake('realtime', upgrade(bearer('alpha-key')), new URLSearchParams());
    expect(plain.ok && 'session' in plain).toBe(false);
  });

  it('a server without keys still applies the session an ephemeral key was minted with (a browser app’s preset)', () => {
    const open = authenticatorFor({});
    const session = { type: 'transcription', audio: { input: { format: { type: 'audio/pcma' } } } };
    const key = open.tokens.mintEphemeral(OPEN_TENANT, { session }).key;
    const request = upgrade(offering('realtime', `openai-insecure-api-key.${key}`));
    expect(open.auth.handshake('realtime', request, new URLSearchParams())).toMatchObject({ ok: true, session });
    // Another server's key carries nothing here: its preset is not trusted.
    const other = foreignTokens({ SECRET_KEY: 'another-server-secret-0123456789' }).mintEphemeral(OPEN_TENANT, {
      session,
    }).key;
    const foreign = upgrade(offering('realtime', `openai-insecure-api-key.${other}`));
    const verdict = open.auth.handshake('realtime', foreign, new URLSearchParams());
    expect(verdict.ok && 'session' in verdict).toBe(false);
  });

  it.each<[string, () => IncomingHttpHeaders, string]>([
    [
      'no credentials',
      () => ({}),
      '401 unauthorized: this server wants an API key: send "Authorization: Bearer <key>"',
    ],
    ['a wrong key', () => bearer('guess'), '401 unauthorized: the API key is not valid'],
    ['another scheme', () => ({ authorization: 'Basic YTpi' }), '401 unauthorized: the Authorization header must be'],
    [
      'an expired ephemeral key',
      () => offering('realtime', `openai-insecure-api-key.${ephemeral(Date.now() - 10 * MINUTE)}`),
      '401 unauthorized: the ephemeral key has expired; mint a new one with POST /v1/realtime/client_secrets',
    ],
    [
      'a tampered ephemeral key',
      () => offering('realtime', `openai-insecure-api-key.${tampered(ephemeral())}`),
      '401 unauthorized: the ephemeral key is not valid (bad signature)',
    ],
    [
      'an ephemeral key issued in the future',
      () => bearer(ephemeral(Date.now() + 2 * MINUTE)),
      '401 unauthorized: the ephemeral key was issued in the future',
    ],
    [
      'an ephemeral key of another server',
      () => bearer(foreignTokens({ ...WITH_KEYS, SECRET_KEY: 'x'.repeat(32) }).mintEphemeral('key-1').key),
      '401 unauthorized: the ephemeral key is not valid (bad signature)',
    ],
    [
      'an ephemeral key of OpenAI’s',
      () => offering('realtime', 'openai-insecure-api-key.ek_68af0c2a1b9c8190a1b2c3d4e5f6a7b8'),
      '401 unauthorized: not an ephemeral key this server minted',
    ],
    [
      'an ephemeral key minted while the server had no keys',
      () => bearer(foreignTokens({ SECRET_KEY: WITH_KEYS.SECRET_KEY }).mintEphemeral('open').key),
      '401 unauthorized: the ephemeral key was minted while this server had no API keys',
    ],
    [
      'a stream token dressed as an ephemeral key',
      () => bearer(`ek_${tokens.mint(nameOf('alpha-key')).token}`),
      '401 unauthorized: the key is not an ephemeral key for the Realtime API',
    ],
    [
      'a stream token',
      () => bearer(tokens.mint(nameOf('alpha-key')).token),
      '403 forbidden: a stream token opens /api/v1/stream and /v1/listen',
    ],
    [
      'two keys in the subprotocols',
      () => offering('realtime', 'openai-insecure-api-key.alpha-key', 'openai-insecure-api-key.root-key'),
      '401 unauthorized: give one "openai-insecure-api-key.<key>" subprotocol (2 offered)',
    ],
    [
      'an empty key subprotocol',
      () => offering('realtime', 'openai-insecure-api-key.'),
      '401 unauthorized: the "openai-insecure-api-key." subprotocol carries no key',
    ],
    [
      'a header and a subprotocol at once',
      () => ({ ...bearer('alpha-key'), ...offering('realtime', 'openai-insecure-api-key.root-key') }),
      '401 unauthorized: send one credential: the Authorization header or the subprotocols, not both',
    ],
  ])('refuses %s', (_case, headers, expected) => {
    expect(handshake('realtime', headers())).toMatch(new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it.each([
    ['?api_key=', 'api_key=alpha-key'],
    ['?key=', 'key=alpha-key'],
    ['?Authorization= (any case)', 'Authorization=Bearer%20alpha-key'],
    ['?api-key=', 'api-key=alpha-key'],
    ['?token= with an ephemeral key', `token=${authenticator().tokens.mintEphemeral(nameOf('alpha-key')).key}`],
  ])('refuses credentials in the URL (%s), even with a valid header key', (_case, query) => {
    expect(handshake('realtime', bearer('alpha-key'), `intent=transcription&${query}`)).toMatch(
      /^401 unauthorized: credentials do not belong in URLs .*"openai-insecure-api-key\.<ephemeral key>"/,
    );
  });
});

describe('Authenticator.handshake: Deepgram', () => {
  const { tokens } = authenticator();
  const streamToken = (now = Date.now()): string => tokens.mint(nameOf('alpha-key'), now).token;

  it.each<[string, () => IncomingHttpHeaders]>([
    ['Authorization: Token (the SDK in Node)', () => ({ authorization: 'Token alpha-key' })],
    ['Authorization: Bearer', () => bearer('alpha-key')],
    ['a stream token in Authorization: Bearer', () => bearer(streamToken())],
    ['the subprotocol pair token, <key> (the SDK in a browser)', () => offering('token', 'alpha-key')],
    [
      'the pair bearer, <stream token> and a session id',
      () => offering('bearer', streamToken(), 'x-deepgram-session-id', 'abc'),
    ],
  ])('opens with %s, as the key’s caller', (_case, headers) => {
    expect(handshake('deepgram', headers())).toBe(ALPHA);
  });

  it.each<[string, () => IncomingHttpHeaders, string]>([
    ['no credentials', () => ({}), '401 unauthorized: this server wants an API key: send "Authorization: Token <key>"'],
    ['a wrong key', () => ({ authorization: 'Token guess' }), '401 unauthorized: the API key is not valid'],
    ['a wrong key in the subprotocols', () => offering('token', 'guess'), '401 unauthorized: the API key is not valid'],
    [
      'an expired stream token',
      () => offering('bearer', streamToken(Date.now() - 10 * MINUTE)),
      '401 unauthorized: the stream token has expired',
    ],
    [
      'an ephemeral key',
      () => bearer(tokens.mintEphemeral(nameOf('alpha-key')).key),
      '403 forbidden: an ephemeral key opens /v1/realtime only',
    ],
    [
      'the marker without its key',
      () => offering('token'),
      '401 unauthorized: the "token" subprotocol must be followed by the key',
    ],
    [
      'two credential pairs',
      () => offering('token', 'alpha-key', 'bearer', 'root-key'),
      '401 unauthorized: give one credential pair',
    ],
    [
      'a header and a subprotocol at once',
      () => ({ authorization: 'Token alpha-key', ...offering('token', 'alpha-key') }),
      '401 unauthorized: send one credential',
    ],
  ])('refuses %s', (_case, headers, expected) => {
    expect(handshake('deepgram', headers()).startsWith(expected)).toBe(true);
  });

  it('refuses a stream token in ?token= (the native protocol’s way) and a key in the URL', () => {
    for (const query of [`token=${streamToken()}`, 'api_key=alpha-key'])
      expect(handshake('deepgram', { authorization: 'Token alpha-key' }, `encoding=linear16&${query}`)).toMatch(
        /^401 unauthorized: credentials do not belong in URLs .*"Authorization: Token <key>"/,
      );
  });
});

describe('Authenticator.handshake: every protocol', () => {
  it('reads the native protocol as stream() does: a header key, or a stream token in ?token=', () => {
    const { auth, tokens } = authenticator();
    expect(handshake('native', bearer('alpha-key'), '', auth)).toBe(ALPHA);
    expect(handshake('native', {}, `token=${tokens.mint(nameOf('alpha-key')).token}`, auth)).toBe(ALPHA);
    expect(handshake('native', {}, 'API_KEY=alpha-key', auth)).toMatch(/^401 unauthorized: API keys do not belong/);
    // The other protocols' credentials are theirs alone.
    expect(handshake('native', offering('token', 'alpha-key'), '', auth)).toMatch(/^401 unauthorized: this server/);
  });

  it.each<LiveProtocolName>(['native', 'realtime', 'deepgram'])(
    'lets anyone open %s on a server without keys, whatever it presents',
    (protocol) => {
      const open = authenticator({}).auth;
      const verdict = open.handshake(
        protocol,
        upgrade({ authorization: 'Basic x', ...offering('token') }, '10.1.1.1'),
        new URLSearchParams('api_key=x&token=y&token=z'),
      );
      expect(verdict).toEqual({
        ok: true,
        caller: { id: 'ip:10.1.1.1', authenticated: false, tenant: 'open', admin: true },
      });
    },
  );

  it('counts each opening, whatever the protocol, against the caller’s rate limit', () => {
    const { auth } = authenticator({ ...WITH_KEYS, RATE_LIMIT_PER_MINUTE: '2' });
    expect(handshake('realtime', bearer('alpha-key'), '', auth)).toBe(ALPHA);
    expect(handshake('deepgram', offering('token', 'alpha-key'), '', auth)).toBe(ALPHA);
    expect(handshake('native', bearer('alpha-key'), '', auth)).toMatch(/^429 rate_limited/);
    expect(handshake('realtime', bearer('root-key'), '', auth)).toBe(`key:${nameOf('root-key')}`);
  });
});
