import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { validateSync, type ValidationError } from 'class-validator';
import { parse as parseDotenv } from 'dotenv';
import { type AppConfig, toAppConfig } from './app-config';
import { envVarDefinitions, type EnvVarDefinition } from './env-var.decorator';
import { EnvironmentVariables } from './environment-variables';
import { checkTlsFiles } from './tls-files';

export type RawEnvironment = Readonly<Record<string, string | undefined>>;

export interface ConfigProblem {
  variable: string;
  message: string;
}

export type ConfigResult =
  | { ok: true; config: AppConfig; env: EnvironmentVariables; warnings: ConfigProblem[]; notices: ConfigProblem[] }
  | { ok: false; errors: ConfigProblem[] };

/** Thrown when the environment is invalid; `message` holds one line per problem. */
export class InvalidConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'InvalidConfigError';
  }
}

export function formatProblem(problem: ConfigProblem): string {
  return `${problem.variable}: ${problem.message}`;
}

/**
 * The process environment over `.env` in `cwd` (the environment wins, as with docker and systemd).
 * `ENV_FILE` names another file; an explicitly named file that is missing is an error.
 */
export function readEnvironment(cwd: string = process.cwd(), env: RawEnvironment = process.env): RawEnvironment {
  const envFile = env.ENV_FILE ? resolve(cwd, env.ENV_FILE) : resolve(cwd, '.env');
  if (!existsSync(envFile)) {
    if (env.ENV_FILE) throw new InvalidConfigError([{ variable: 'ENV_FILE', message: `${envFile} does not exist` }]);
    return env;
  }
  return { ...parseDotenv(readFileSync(envFile)), ...env };
}

/** `INFO # comment` → `INFO`: values from systemd EnvironmentFile or `docker run --env-file` keep inline comments. */
function stripInlineComment(value: string): string {
  return value.replace(/\s+#.*$/, '').trim();
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/** Converts a raw string to the variable's type; returns the string unchanged when it does not convert, so validation reports it. */
function coerce(definition: EnvVarDefinition, raw: string): unknown {
  const value = definition.lowercase ? raw.toLowerCase() : raw;
  switch (definition.kind) {
    case 'string':
      return value;
    case 'number': {
      const number = Number(value);
      return value !== '' && Number.isFinite(number) ? number : value;
    }
    case 'boolean': {
      const lower = value.toLowerCase();
      return TRUE.has(lower) ? true : FALSE.has(lower) ? false : value;
    }
  }
}

function display(definition: EnvVarDefinition | undefined, value: unknown): string {
  if (value === undefined || value === '') return '(unset)';
  if (definition?.secret) return '"********"';
  return JSON.stringify(value);
}

function toProblems(errors: ValidationError[], raw: Record<string, string>): ConfigProblem[] {
  const byName = new Map(envVarDefinitions().map((d) => [d.name, d]));
  return errors.map((error) => {
    const definition = byName.get(error.property);
    const rawValue = raw[error.property] ?? (error.value as unknown);
    const constraints = error.constraints ?? {};
    // A missing required value: "is required when …" says it all; "must be a string" would only add noise.
    const relevant =
      rawValue === undefined && constraints.isNotEmpty ? { isNotEmpty: constraints.isNotEmpty } : constraints;
    // class-validator lists the rules bottom-up; the README and the code read them top-down.
    const rules = Object.values(relevant)
      .reverse()
      .map((m) => m.replace(new RegExp(`^${error.property}\\s+`), ''));
    return {
      variable: error.property,
      message: `${display(definition, rawValue)} is not allowed: ${rules.join('; ')}`,
    };
  });
}

function warningsFor(env: EnvironmentVariables): ConfigProblem[] {
  const warnings: ConfigProblem[] = [];
  if (env.API_DEBUG) {
    warnings.push({
      variable: 'API_DEBUG',
      message: 'true sends error details to clients and logs at debug level; never enable it in production',
    });
  }
  if (env.API_RELOAD) {
    warnings.push({ variable: 'API_RELOAD', message: 'true restarts on file changes; meant for development only' });
  }
  if (env.API_WORKERS > 1 && env.API_RELOAD) {
    warnings.push({
      variable: 'API_WORKERS',
      message: `${env.API_WORKERS} is ignored while API_RELOAD=true: reloading runs one process`,
    });
  }
  if (env.SECRET_KEY !== undefined && env.SECRET_KEY.length < 32) {
    warnings.push({ variable: 'SECRET_KEY', message: 'is shorter than 32 characters; use a long random value' });
  }
  return warnings;
}

/** What an operator should know about a valid setup that is not a mistake (printed, exit status unchanged). */
function noticesFor(env: EnvironmentVariables): ConfigProblem[] {
  if (env.API_KEYS || env.API_KEYS_FILE) return [];
  return [
    {
      variable: 'API_KEYS',
      message: 'not set (nor API_KEYS_FILE): the API is open to anyone who can reach it',
    },
  ];
}

/** Validates a raw environment (see `readEnvironment`). Relative paths resolve against `cwd`. */
export function loadConfig(rawEnv: RawEnvironment, cwd: string = process.cwd()): ConfigResult {
  const env = new EnvironmentVariables();
  const raw: Record<string, string> = {};
  for (const definition of envVarDefinitions()) {
    const value = rawEnv[definition.name];
    if (value === undefined) continue;
    const stripped = stripInlineComment(value);
    // An empty value means "use the default", as an unset one does.
    if (stripped === '') continue;
    raw[definition.name] = stripped;
    Object.assign(env, { [definition.name]: coerce(definition, stripped) });
  }
  const errors = validateSync(env, { forbidUnknownValues: true });
  if (errors.length > 0) return { ok: false, errors: toProblems(errors, raw) };
  if (env.ASR_FALLBACK_PROVIDER !== undefined && env.ASR_FALLBACK_PROVIDER === env.ASR_PROVIDER)
    return {
      ok: false,
      errors: [{ variable: 'ASR_FALLBACK_PROVIDER', message: 'must name another provider than ASR_PROVIDER' }],
    };
  const config = toAppConfig(env, cwd);
  const tlsProblems = config.api.tls ? checkTlsFiles(config.api.tls) : [];
  if (tlsProblems.length > 0) return { ok: false, errors: tlsProblems };
  return { ok: true, config, env, warnings: warningsFor(env), notices: noticesFor(env) };
}

export function loadConfigOrThrow(rawEnv: RawEnvironment, cwd?: string): AppConfig {
  const result = loadConfig(rawEnv, cwd);
  if (!result.ok) throw new InvalidConfigError(result.errors);
  return result.config;
}

/** The effective configuration by variable, secrets masked: what `asr-api config check` prints. */
export function describeEffectiveConfig(env: EnvironmentVariables): { definition: EnvVarDefinition; shown: string }[] {
  return envVarDefinitions().map((definition) => ({
    definition,
    shown: display(definition, (env as unknown as Record<string, unknown>)[definition.name]),
  }));
}

/** The environment for a child process of ours (the reloading server): this one's, with overrides. */
export function childEnvironment(overrides: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...overrides };
}
