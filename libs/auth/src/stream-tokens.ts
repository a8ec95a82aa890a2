import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { deriveKey } from './derived-keys';

const VERSION = 'st1';
/** Who a token opens: the native stream (`?token=`), or OpenAI Realtime sessions (an ephemeral key, `ek_…`). */
type Audience = 'stream' | 'realtime';
/** OpenAI's browser SDK sends only keys with this prefix from a browser; ours wrap a token of audience `realtime`. */
export const EPHEMERAL_KEY_PREFIX = 'ek_';
/** The most any token may live, whatever STREAM_TOKEN_TTL_S says (a token in a URL ends up in histories). */
export const MAX_STREAM_TOKEN_TTL_S = 300;
/** How far ahead of this server's clock a token may say it was issued: replicas' clocks differ a little. */
const MAX_CLOCK_SKEW_S = 30;

/** A Realtime session configuration, as `POST /v1/realtime/client_secrets` was given it. */
export type SessionPreset = Record<string, unknown>;

interface Claims {
  aud: Audience;
  /** The key's name the token speaks for. */
  sub: string;
  iat: number;
  exp: number;
  jti: string;
  /** Ephemeral keys only: the session configuration it was minted with, applied to each session it opens. */
  ses?: SessionPreset;
}

export interface MintedToken {
  token: string;
  expiresAt: Date;
  expiresInS: number;
}

export interface MintedEphemeralKey {
  /** `ek_st1.<claims>.<signature>` */
  key: string;
  /** The token's own id, which also names the session object client_secrets answers with. */
  id: string;
  expiresAt: Date;
  expiresInS: number;
}

export type TokenCheck = { ok: true; keyName: string } | { ok: false; reason: string };
export type EphemeralKeyCheck = { ok: true; keyName: string; session?: SessionPreset } | { ok: false; reason: string };

/** How refusals name what was checked, and where a new one comes from. */
const KINDS = {
  stream: { noun: 'stream token', renew: 'mint a new one', notFor: 'the token is not for the stream' },
  realtime: {
    noun: 'ephemeral key',
    renew: 'mint a new one with POST /v1/realtime/client_secrets',
    notFor: 'the key is not an ephemeral key for the Realtime API (a stream token goes in ?token= on /api/v1/stream)',
  },
} satisfies Record<Audience, { noun: string; renew: string; notFor: string }>;

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** Whether a query value has a stream token's shape (anything else in `?token=` is refused as a raw key). */
export function looksLikeStreamToken(value: string): boolean {
  return value.startsWith(`${VERSION}.`) && value.split('.').length === 3;
}

/** Whether a credential has the shape of an ephemeral key this server mints (OpenAI's own `ek_` keys have no dots). */
export function looksLikeEphemeralKey(value: string): boolean {
  return value.startsWith(EPHEMERAL_KEY_PREFIX) && looksLikeStreamToken(value.slice(EPHEMERAL_KEY_PREFIX.length));
}

/**
 * Short-lived tokens that let a browser open the stream without putting a long-lived key in a URL:
 * `st1.<claims>.<HMAC-SHA256 over "st1.<claims>">`, audience `stream`, expiry ≤ 300 s. The HMAC key is derived from
 * SECRET_KEY for stream tokens alone (deriveKey), so nothing signed for another purpose (a webhook, whose receiver
 * holds its key) can pass for a token, and no token reveals anything about another purpose's key. Ephemeral keys
 * (`ek_`, for OpenAI Realtime clients) are the same tokens with audience `realtime`: neither passes for the other.
 */
@Injectable()
export class StreamTokens {
  private readonly secret: Buffer;
  private readonly ttlS: number;

  constructor(config: AppConfig) {
    // With keys, configuration validation requires SECRET_KEY. Without keys nothing minted is ever checked (every
    // stream is open), and a token minted then names the open tenant, which no key can be.
    this.secret = deriveKey(config.security.secretKey ?? '', 'stream-token');
    this.ttlS = Math.min(config.security.streamTokenTtlS, MAX_STREAM_TOKEN_TTL_S);
  }

  private sign(body: string): Buffer {
    return createHmac('sha256', this.secret).update(body).digest();
  }

  mint(keyName: string, now = Date.now()): MintedToken {
    const { token, claims } = this.issue({ aud: 'stream', sub: keyName }, this.ttlS, now);
    return { token, expiresAt: new Date(claims.exp * 1000), expiresInS: this.ttlS };
  }

  /**
   * An ephemeral key for OpenAI Realtime clients: a token of audience `realtime` behind `ek_`. It lives `ttlS`
   * (STREAM_TOKEN_TTL_S when not given), never more than 300 s, and carries the session configuration it was
   * minted with.
   */
  mintEphemeral(
    keyName: string,
    options: { ttlS?: number; session?: SessionPreset } = {},
    now = Date.now(),
  ): MintedEphemeralKey {
    const ttlS = Math.min(options.ttlS ?? this.ttlS, MAX_STREAM_TOKEN_TTL_S);
    const { token, claims } = this.issue(
      { aud: 'realtime', sub: keyName, ...(options.session && { ses: options.session }) },
      ttlS,
      now,
    );
    return {
      key: `${EPHEMERAL_KEY_PREFIX}${token}`,
      id: claims.jti,
      expiresAt: new Date(claims.exp * 1000),
      expiresInS: ttlS,
    };
  }

  verify(token: string, now = Date.now()): TokenCheck {
    const check = this.check(token, 'stream', now);
    return check.ok ? { ok: true, keyName: check.claims.sub } : check;
  }

  /** An `ek_` key: minted here (`ek_` then a token of audience `realtime`), intact, and not expired. */
  verifyEphemeral(key: string, now = Date.now()): EphemeralKeyCheck {
    if (!looksLikeEphemeralKey(key))
      return {
        ok: false,
        reason:
          'not an ephemeral key this server minted: mint one with POST /v1/realtime/client_secrets on this server',
      };
    const check = this.check(key.slice(EPHEMERAL_KEY_PREFIX.length), 'realtime', now);
    if (!check.ok) return check;
    const { sub, ses } = check.claims;
    return ses === undefined ? { ok: true, keyName: sub } : { ok: true, keyName: sub, session: ses };
  }

  private issue(
    subject: Pick<Claims, 'aud' | 'sub' | 'ses'>,
    ttlS: number,
    now: number,
  ): { token: string; claims: Claims } {
    const iat = Math.floor(now / 1000);
    const claims: Claims = { ...subject, iat, exp: iat + ttlS, jti: randomUUID() };
    const body = `${VERSION}.${base64url(JSON.stringify(claims))}`;
    return { token: `${body}.${base64url(this.sign(body))}`, claims };
  }

  private check(
    token: string,
    audience: Audience,
    now: number,
  ): { ok: true; claims: Claims } | { ok: false; reason: string } {
    const { noun, renew, notFor } = KINDS[audience];
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION) return { ok: false, reason: `not a ${noun}` };
    const body = `${parts[0]}.${parts[1]}`;
    // Compared as the canonical text: base64url decoding skips stray characters, which would let one token be
    // written many ways.
    const given = Buffer.from(parts[2]!, 'utf8');
    const expected = Buffer.from(base64url(this.sign(body)), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, reason: `the ${noun} is not valid (bad signature)` };
    let claims: Partial<Claims>;
    try {
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Partial<Claims>;
    } catch {
      return { ok: false, reason: `the ${noun} is not valid (unreadable claims)` };
    }
    if (claims.aud !== audience) return { ok: false, reason: notFor };
    if (
      typeof claims.exp !== 'number' ||
      typeof claims.iat !== 'number' ||
      !Number.isFinite(claims.exp) ||
      !Number.isFinite(claims.iat) ||
      typeof claims.sub !== 'string' ||
      (claims.ses !== undefined && (typeof claims.ses !== 'object' || claims.ses === null || Array.isArray(claims.ses)))
    )
      return { ok: false, reason: `the ${noun} is not valid (missing claims)` };
    if (claims.exp <= claims.iat)
      return { ok: false, reason: `the ${noun} is not valid (it expires before it was issued)` };
    if (claims.exp - claims.iat > MAX_STREAM_TOKEN_TTL_S)
      return { ok: false, reason: `the ${noun} lives longer than allowed` };
    // A token from the future was minted by a clock far ahead, or made to outlive its expiry: refused either way.
    if ((claims.iat - MAX_CLOCK_SKEW_S) * 1000 > now)
      return {
        ok: false,
        reason: `the ${noun} was issued in the future (more than ${MAX_CLOCK_SKEW_S} s ahead of this server's clock)`,
      };
    if (claims.exp * 1000 <= now) return { ok: false, reason: `the ${noun} has expired; ${renew}` };
    return { ok: true, claims: claims as Claims };
  }
}
