import { mkdtempSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AppConfig } from '@asr/config';
import { ApiKeys } from './api-keys';

const digest = (key: string): string => createHash('sha256').update(key).digest('hex');

function keysFrom(apiKeys: string[], file?: string): ApiKeys {
  return new ApiKeys({ security: { apiKeys, apiKeysFile: file } } as unknown as AppConfig);
}

function keysFile(lines: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'asr-keys-')), 'keys.sha256');
  writeFileSync(file, lines.join('\n'));
  return file;
}

describe('ApiKeys names', () => {
  it('names a key of API_KEYS by its digest, whatever its place in the list', () => {
    const first = keysFrom(['alpha-key', 'beta-key']);
    const reordered = keysFrom(['beta-key', 'alpha-key']);
    expect(first.match('alpha-key')).toBe(`key-${digest('alpha-key').slice(0, 8)}`);
    expect(reordered.match('alpha-key')).toBe(first.match('alpha-key'));
    expect(first.match('gamma-key')).toBeUndefined();
  });

  it('refuses two different keys with one name, and the reserved name of the open tenant', () => {
    expect(() => keysFrom([], keysFile([`${digest('a')} team`, `${digest('b')} team`]))).toThrow(/both named "team"/);
    expect(() => keysFrom([], keysFile([`${digest('a')} open`]))).toThrow(/reserved/);
    // The same key listed twice under one name is harmless.
    expect(keysFrom(['a'], keysFile([`${digest('a')} key-${digest('a').slice(0, 8)}`])).match('a')).toBeDefined();
  });

  it.each<[string, string, string]>([
    ['a name', `${digest('a')} team-a`, 'team-a'],
    ['sha256sum’s binary marker', `${digest('a')} *team-a`, 'team-a'],
    ['sha256sum’s stdin name', `${digest('a')}  -`, `key-${digest('a').slice(0, 8)}`],
    ['no name', `${digest('a')}`, `key-${digest('a').slice(0, 8)}`],
    ['capitals and a comment', `${digest('a').toUpperCase()} team-a  # rotated in May`, 'team-a'],
  ])('reads a keys-file line with %s', (_case, line, name) => {
    const keys = keysFrom([], keysFile(['# keys of the deployment', '', line]));
    expect(keys.enabled).toBe(true);
    expect(keys.match('a')).toBe(name);
    expect(keys.match(digest('a'))).toBeUndefined();
  });
});

describe('ApiKeys', () => {
  it('is off with no keys: the API is open and nothing matches', () => {
    const keys = keysFrom([]);
    expect(keys.enabled).toBe(false);
    expect(keys.match('')).toBeUndefined();
  });

  it('names the line of a keys file that is not a digest', () => {
    expect(() => keysFrom([], keysFile([`${digest('a')} team`, 'not-a-digest team-b']))).toThrow(
      /keys\.sha256 line 2: expected a SHA-256 hex digest/,
    );
  });
});
