import { envVarDefinitions } from './env-var.decorator';
import { EnvironmentVariables } from './environment-variables';

/** A variable's default as written in .env, or undefined when it has none. */
function defaultOf(name: string): string | undefined {
  const value = (new EnvironmentVariables() as unknown as Record<string, string | number | boolean | undefined>)[name];
  return value === undefined ? undefined : String(value);
}

/** The README's configuration table, generated from the schema so the two cannot drift (a test compares them). */
export function renderConfigTable(): string {
  const rows = envVarDefinitions().map((d) => {
    const value = defaultOf(d.name);
    const shown = value === undefined ? '' : `\`${value}\``;
    return `| \`${d.name}\` | ${d.group} | ${shown} | ${d.description.replace(/\|/g, '\\|')} |`;
  });
  return ['| Variable | Group | Default | Meaning |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** `.env.example`: every variable with its comment; defaults commented out so the file changes nothing by itself. */
export function renderEnvExample(): string {
  const lines = [
    '# asr-api-service configuration. Copy to .env (`asr-api init` does) and uncomment what you change.',
    '# The process environment overrides this file. Unquoted values may carry a trailing "# comment";',
    '# quote a value that contains "#".',
  ];
  let group = '';
  for (const d of envVarDefinitions()) {
    if (d.group !== group) {
      group = d.group;
      lines.push('', `# --- ${group}`);
    }
    const value = defaultOf(d.name);
    lines.push(`# ${d.description}`, `# ${d.name}=${value ?? ''}`);
  }
  return lines.join('\n') + '\n';
}
