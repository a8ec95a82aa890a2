import { hkdfSync } from 'node:crypto';

/**
 * A key for one purpose, derived from SECRET_KEY with HKDF-SHA256, so no two purposes share a key: whoever holds
 * one (a tenant's webhook receiver holds its webhook secret) learns nothing of SECRET_KEY or of any other.
 * `purpose` names the use and, where it differs per tenant, the tenant: `stream-token`, `webhook:<tenant>`.
 */
export function deriveKey(secretKey: string, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secretKey, 'utf8'), 'asr-api-service', `asr-api:${purpose}`, 32));
}
