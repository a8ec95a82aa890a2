import { existsSync, mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp } from './support/test-app';

describe('TEMP_STORAGE_PATH at start', () => {
  it('removes entries older than TEMP_FILE_MAX_AGE_S and keeps recent ones', async () => {
    const temp = join(mkdtempSync(join(tmpdir(), 'asr-temp-')), 'tmp');
    mkdirSync(join(temp, 'old-dir'), { recursive: true });
    writeFileSync(join(temp, 'old-dir', 'chunk.wav'), 'x');
    writeFileSync(join(temp, 'old.wav'), 'x');
    writeFileSync(join(temp, 'recent.wav'), 'x');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    utimesSync(join(temp, 'old.wav'), twoHoursAgo, twoHoursAgo);
    utimesSync(join(temp, 'old-dir'), twoHoursAgo, twoHoursAgo);

    const t = await startTestApp({ env: { TEMP_STORAGE_PATH: temp, TEMP_FILE_MAX_AGE_S: '3600' } });
    try {
      expect(existsSync(join(temp, 'old.wav'))).toBe(false);
      expect(existsSync(join(temp, 'old-dir'))).toBe(false);
      expect(existsSync(join(temp, 'recent.wav'))).toBe(true);
      expect(t.logs.text).toContain('removed 2 stale temporary file(s)');
    } finally {
      await t.close();
    }
  });
});
