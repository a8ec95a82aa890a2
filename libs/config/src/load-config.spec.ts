import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envVarDefinitions } from './env-var.decorator';
import {
  describeEffectiveConfig,
  InvalidConfigError,
  loadConfig,
  loadConfigOrThrow,
  readEnvironment,
} from './load-config';

const CWD = '/srv/asr';

function problemsOf(env: Record<string, string>): string[] {
  const result = loadConfig(env, CWD);
  if (result.ok) throw new Error('expected the configuration to be invalid');
  return result.errors.map((p) => `${p.variable}: ${p.message}`);
}

describe('loadConfig', () => {
  it('gives every variable a default and resolves relative paths against cwd', () => {
    const config = loadConfigOrThrow({}, CWD);
    expect(config.api).toMatchObject({ host: '0.0.0.0', port: 8000, workers: 1, debug: false, docsEnabled: true });
    expect(config.asr.provider).toBe('local');
    expect(config.storage.audioPath).toBe('/srv/asr/data/audio');
    expect(config.storage.tempPath).toBe('/srv/asr/data/tmp');
    expect(config.logging).toEqual({ level: 'info', format: 'json', storagePath: undefined });
  });

  it('reads the deployment guide’s spellings: capitals, trailing comments, yes/no booleans', () => {
    const config = loadConfigOrThrow(
      { LOG_LEVEL: 'WARNING   # quieter', ENABLE_DOCS: 'No', VAD_THRESHOLD: '0.35 # tuned', ASR_PROVIDER: 'LOCAL' },
      CWD,
    );
    expect(config.logging.level).toBe('warn');
    expect(config.api.docsEnabled).toBe(false);
    expect(config.vad.threshold).toBe(0.35);
    expect(config.asr.provider).toBe('local');
  });

  it('maps critical to fatal and lets API_DEBUG raise the level to debug', () => {
    expect(loadConfigOrThrow({ LOG_LEVEL: 'CRITICAL' }, CWD).logging.level).toBe('fatal');
    expect(loadConfigOrThrow({ LOG_LEVEL: 'error', API_DEBUG: 'true' }, CWD).logging.level).toBe('debug');
    expect(loadConfigOrThrow({ LOG_LEVEL: 'trace', API_DEBUG: 'true' }, CWD).logging.level).toBe('trace');
  });

  it('treats an empty value as unset', () => {
    expect(loadConfigOrThrow({ API_PORT: '', LOG_STORAGE_PATH: '' }, CWD).api.port).toBe(8000);
  });

  it('names the variable, the value and the rule for each problem', () => {
    expect(problemsOf({ API_PORT: 'abc' })).toEqual([
      'API_PORT: "abc" is not allowed: must be an integer number; must not be less than 1; must not be greater than 65535',
    ]);
    expect(problemsOf({ LOG_FORMAT: 'xml', API_DEBUG: 'maybe' })).toEqual([
      'API_DEBUG: "maybe" is not allowed: must be a boolean value',
      'LOG_FORMAT: "xml" is not allowed: must be one of the following values: json, pretty',
    ]);
  });

  it.each([
    ['openai', 'OPENAI_API_KEY'],
    ['fireworks', 'FIREWORKS_API_KEY'],
    ['openai-compatible', 'ASR_BASE_URL'],
  ])('requires the setting of the selected provider %s', (provider, variable) => {
    expect(problemsOf({ ASR_PROVIDER: provider })).toEqual([
      `${variable}: (unset) is not allowed: is required when ASR_PROVIDER=${provider}`,
    ]);
  });

  it('refuses a speech pad longer than the lookback buffer it is taken from', () => {
    expect(problemsOf({ VAD_SPEECH_PAD_MS: '800', AUDIO_LOOKBACK_DURATION: '0.5' })).toEqual([
      'VAD_SPEECH_PAD_MS: "800" is not allowed: must be at most AUDIO_LOOKBACK_DURATION × 1000: the pad comes from the lookback',
    ]);
    expect(loadConfig({ VAD_SPEECH_PAD_MS: '800', AUDIO_LOOKBACK_DURATION: '1' }, CWD).ok).toBe(true);
  });

  it('does not require keys of providers that are not selected', () => {
    expect(loadConfig({ ASR_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-1' }, CWD).ok).toBe(true);
  });

  it('masks secret values in the effective configuration', () => {
    const result = loadConfig({ ASR_PROVIDER: 'openai', OPENAI_API_KEY: 'sk-live-123', API_PORT: '8080' }, CWD);
    if (!result.ok) throw new Error('expected valid');
    const shown = Object.fromEntries(describeEffectiveConfig(result.env).map((e) => [e.definition.name, e.shown]));
    expect(shown).toMatchObject({ OPENAI_API_KEY: '"********"', API_PORT: '8080', FIREWORKS_API_KEY: '(unset)' });
    expect(JSON.stringify(shown)).not.toContain('sk-live-123');
  });

  it('joins problems into one line each in InvalidConfigError', () => {
    expect(() => loadConfigOrThrow({ API_PORT: '0', VAD_THRESHOLD: '-1' }, CWD)).toThrow(
      'API_PORT: "0" is not allowed: must not be less than 1\nVAD_THRESHOLD: "-1" is not allowed: must not be less than 0',
    );
  });

  it('warns about debug mode, reload (which ignores workers) and short secrets', () => {
    const result = loadConfig({ API_DEBUG: '1', API_RELOAD: 'on', API_WORKERS: '4', SECRET_KEY: 'short' }, CWD);
    if (!result.ok) throw new Error('expected valid');
    expect(result.warnings.map((w) => w.variable)).toEqual(['API_DEBUG', 'API_RELOAD', 'API_WORKERS', 'SECRET_KEY']);
  });

  it('declares every variable the deployment guide names', () => {
    const names = envVarDefinitions().map((d) => d.name);
    for (const name of [
      'API_HOST',
      'API_PORT',
      'API_WORKERS',
      'API_DEBUG',
      'API_RELOAD',
      'LOG_LEVEL',
      'LOG_FORMAT',
      'ENABLE_DOCS',
      'ASR_PROVIDER',
      'OPENAI_API_KEY',
      'FIREWORKS_API_KEY',
      'SECRET_KEY',
      'AUDIO_STORAGE_PATH',
      'LOG_STORAGE_PATH',
      'TEMP_STORAGE_PATH',
      'STREAMING_MAX_CLIENTS',
      'AUDIO_CHUNK_DURATION',
      'VAD_THRESHOLD',
      'AUDIO_MAX_DURATION',
      'AUDIO_LOOKBACK_DURATION',
    ]) {
      expect(names).toContain(name);
    }
  });
});

describe('readEnvironment', () => {
  it('reads .env under the process environment, which wins', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asr-env-'));
    writeFileSync(join(dir, '.env'), 'API_PORT=9000 # from file\nLOG_LEVEL=DEBUG\n');
    const env = readEnvironment(dir, { LOG_LEVEL: 'error' });
    expect(env).toMatchObject({ API_PORT: '9000', LOG_LEVEL: 'error' });
    expect(loadConfigOrThrow(env, dir).api.port).toBe(9000);
  });

  it('refuses an ENV_FILE that does not exist', () => {
    expect(() => readEnvironment('/', { ENV_FILE: '/nonexistent/asr.env' })).toThrow(InvalidConfigError);
  });
});
