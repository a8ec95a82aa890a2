import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { deriveKey } from './derived-keys';

const VERSION = 'st1';
const AUDIENCE = 'stream';
/** The most any token may live, whatever STREAM_TOKEN_TTL_S says (a token in a URL ends up in histories). */
export const MAX_STREAM_TOKEN_TTL_S = 300;
/** How far ahead of this server's clock a token may say it was issued: replicas' clocks differ a little. */
const MAX_CLOCK_SKEW_S = 30;

interface Claims {
  aud: string;
  /** The key's name the token speaks for. */
  sub: string;
  iat: number;
  exp: number;
  jti: string;
}

export interface MintedToken {
  token: string;
  expiresAt: Date;
  expiresInS: number;
}

export type TokenCheck = { ok: true; keyName: string } | { ok: false; reason: string };

const base64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** Whether a query value has a stream token's shape (anything else in `?token=` is refused as a raw key). */
export function looksLikeStreamToken(value: string): boolean {
  return value.startsWith(`${VERSION}.`) && value.split('.').length === 3;
}

/**
 * Short-lived tokens that let a browser open the stream without putting a long-lived key in a URL:
 * `st1.<claims>.<HMAC-SHA256 over "st1.<claims>">`, audience `stream`, expiry ≤ 300 s. The HMAC key is derived from
 * SECRET_KEY for stream tokens alone (deriveKey), so nothing signed for another purpose (a webhook, whose receiver
 * holds its key) can pass for a token, and no token reveals anything about another purpose's key.
 */
@Injectable()
export class StreamTokens {
  private readonly secret: Buffer;
  private readonly ttlS: number;

  constructor(config: AppConfig) {
    // Without keys there is nothing to mint; with keys, configuration validation requires SECRET_KEY.
    this.secret = deriveKey(config.security.secretKey ?? '', 'stream-token');
    this.ttlS = Math.min(config.security.streamTokenTtlS, MAX_STREAM_TOKEN_TTL_S);
  }

  private sign(body: string): Buffer {
    return createHmac('sha256', this.secret).update(body).digest();
  }

  mint(keyName: string, now = Date.now()): MintedToken {
    const iat = Math.floor(now / 1000);
    const claims: Claims = { aud: AUDIENCE, sub: keyName, iat, exp: iat + this.ttlS, jti: randomUUID() };
    const body = `${VERSION}.${base64url(JSON.stringify(claims))}`;
    return {
      token: `${body}.${base64url(this.sign(body))}`,
      expiresAt: new Date(claims.exp * 1000),
      expiresInS: this.ttlS,
    };
  }

  verify(token: string, now = Date.now()): TokenCheck {
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION) return { ok: false, reason: 'not a stream token' };
    const body = `${parts[0]}.${parts[1]}`;
    // Compared as the canonical text: base64url decoding skips stray characters, which would let one token be
    // written many ways.
    const given = Buffer.from(parts[2]!, 'utf8');
    const expected = Buffer.from(base64url(this.sign(body)), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, reason: 'the stream token is not valid (bad signature)' };
    let claims: Partial<Claims>;
    try {
      claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Partial<Claims>;
    } catch {
      return { ok: false, reason: 'the stream token is not valid (unreadable claims)' };
    }
    if (claims.aud !== AUDIENCE) return { ok: false, reason: 'the token is not for the stream' };
    if (
      typeof claims.exp !== 'number' ||
      typeof claims.iat !== 'number' ||
      !Number.isFinite(claims.exp) ||
      !Number.isFinite(claims.iat) ||
      typeof claims.sub !== 'string'
    )
      return { ok: false, reason: 'the stream token is not valid (missing claims)' };
    if (claims.exp <= claims.iat)
      return { ok: false, reason: 'the stream token is not valid (it expires before it was issued)' };
    if (claims.exp - claims.iat > MAX_STREAM_TOKEN_TTL_S)
      return { ok: false, reason: 'the stream token lives longer than allowed' };
    // A token from the future was minted by a clock far ahead, or made to outlive its expiry: refused either way.
    if ((claims.iat - MAX_CLOCK_SKEW_S) * 1000 > now)
      return {
        ok: false,
        reason: `the stream token was issued in the future (more than ${MAX_CLOCK_SKEW_S} s ahead of this server's clock)`,
      };
    if (claims.exp * 1000 <= now) return { ok: false, reason: 'the stream token has expired; mint a new one' };
    return { ok: true, keyName: claims.sub };
  }
}
