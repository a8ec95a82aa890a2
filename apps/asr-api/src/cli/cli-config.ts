import { type ConfigResult, formatProblem, loadConfig, readEnvironment, type RawEnvironment } from '@asr/config';

export const EXIT_OK = 0;
export const EXIT_WARNINGS = 1;
export const EXIT_INVALID = 2;

/** The environment (and .env) with command-line overrides on top, validated. Never throws. */
export function loadCliConfig(overrides: RawEnvironment = {}): ConfigResult {
  try {
    const defined = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
    return loadConfig({ ...readEnvironment(), ...defined });
  } catch (error) {
    return {
      ok: false,
      errors: [{ variable: 'ENV_FILE', message: error instanceof Error ? error.message : String(error) }],
    };
  }
}

/** Prints one line per problem to stderr and returns exit code 2, or the config. */
export function configOrExit(result: ConfigResult): Extract<ConfigResult, { ok: true }> {
  if (result.ok) return result;
  process.stderr.write('Invalid configuration; the service was not started:\n');
  for (const problem of result.errors) process.stderr.write(`  ${formatProblem(problem)}\n`);
  process.exit(EXIT_INVALID);
}
