import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';

/** The one tenant of an open server (no keys): every caller shares its jobs. */
export const OPEN_TENANT = 'open';

/** Who a request speaks for: a key's name (never the key), or the client's address when the API is open. */
export interface Caller {
  /** Keys the rate limits and shows in logs: `key:<name>` or `ip:<address>`. */
  id: string;
  authenticated: boolean;
  /** Who owns what this caller creates (jobs): the key's name, or OPEN_TENANT when the API is open. */
  tenant: string;
  /** Sees every tenant's jobs: a key named in API_ADMIN_KEYS, or anyone on an open server (one shared tenant). */
  admin: boolean;
}

/** `key-<first 8 hex of the digest>`: a key's stable name when nobody gave it one (never its position in a list). */
const digestName = (digest: Buffer): string => `key-${digest.toString('hex').slice(0, 8)}`;

interface KnownKey {
  digest: Buffer;
  name: string;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** `<64 hex> [name]` per line, as `sha256sum` prints it (a `*` or `-` name is the file name sha256sum read). */
function parseKeysFile(text: string, file: string): KnownKey[] {
  return text.split('\n').flatMap((raw, index) => {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) return [];
    const match = /^([0-9a-fA-F]{64})(?:\s+\*?(.+))?$/.exec(line);
    if (!match)
      throw new Error(`${file} line ${index + 1}: expected a SHA-256 hex digest, optionally followed by a name`);
    const digest = Buffer.from(match[1]!, 'hex');
    const name = match[2] && match[2] !== '-' ? match[2].trim() : digestName(digest);
    return [{ digest, name }];
  });
}

/**
 * A key's name is who owns its jobs and whose webhook secret it gets: two keys with one name would share them, and
 * the open server's tenant is nobody's key.
 */
function checkNames(keys: readonly KnownKey[]): void {
  const seen = new Map<string, Buffer>();
  for (const key of keys) {
    if (key.name === OPEN_TENANT)
      throw new Error(`API key name "${OPEN_TENANT}" is reserved (the tenant of a server without keys); rename it`);
    const other = seen.get(key.name);
    if (other && !other.equals(key.digest))
      throw new Error(`two API keys are both named "${key.name}": names own jobs, so each key needs its own`);
    seen.set(key.name, key.digest);
  }
}

/**
 * The API keys the server accepts, held as SHA-256 digests only. A presented key is hashed and compared with every
 * known digest in constant time, so neither the answer's timing nor an early exit tells which bytes matched.
 */
@Injectable()
export class ApiKeys {
  private readonly keys: KnownKey[];

  constructor(config: AppConfig) {
    const { apiKeys, apiKeysFile } = config.security;
    this.keys = apiKeys.map((key) => {
      const digest = sha256(key);
      return { digest, name: digestName(digest) };
    });
    if (apiKeysFile) this.keys.push(...parseKeysFile(readFileSync(apiKeysFile, 'utf8'), apiKeysFile));
    checkNames(this.keys);
  }

  /** False: no keys are configured and the API is open. */
  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** The name of the key `presented` is, or undefined. */
  match(presented: string): string | undefined {
    const digest = sha256(presented);
    let found: string | undefined;
    for (const key of this.keys) if (timingSafeEqual(key.digest, digest) && found === undefined) found = key.name;
    return found;
  }
}
