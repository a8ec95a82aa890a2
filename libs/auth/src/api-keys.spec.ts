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
});
