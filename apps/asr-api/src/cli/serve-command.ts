import { spawn } from 'node:child_process';
import cluster from 'node:cluster';
import { join } from 'node:path';
import { childEnvironment, formatProblem } from '@asr/config';
import { PACKAGE_ROOT } from '../package-info';
import { configOrExit, loadCliConfig } from './cli-config';

export interface ServeOptions {
  host?: string;
  port?: string;
  reload?: boolean;
  workers?: string;
}

/** Re-runs `serve` under `node --watch`: the server restarts whenever the built files in dist/ change. */
function serveWithReload(options: ServeOptions): void {
  const args = ['--watch-path', join(PACKAGE_ROOT, 'dist'), '--watch', join(__dirname, '..', 'cli.js'), 'serve'];
  if (options.host) args.push('--host', options.host);
  if (options.port) args.push('--port', options.port);
  console.error('reload: restarting on changes under dist/ (run `npx nest build --watch` beside it)');
  const child = spawn(process.execPath, args, { stdio: 'inherit', env: childEnvironment({ API_RELOAD: 'false' }) });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
}

/** `asr-api serve`: validate first (exit 2 with one line per problem), then load and start the app. */
export async function serveCommand(options: ServeOptions): Promise<void> {
  const { config, warnings, notices } = configOrExit(
    loadCliConfig({
      API_HOST: options.host,
      API_PORT: options.port,
      API_RELOAD: options.reload ? 'true' : undefined,
      API_WORKERS: options.workers,
    }),
  );
  if (cluster.isPrimary) {
    for (const notice of notices) process.stderr.write(`note: ${formatProblem(notice)}\n`);
    for (const warning of warnings) process.stderr.write(`warning: ${formatProblem(warning)}\n`);
  }
  if (config.api.reload) return serveWithReload(options);
  if (config.api.workers > 1 && cluster.isPrimary) {
    const { runPrimary } = await import('../cluster-primary.js');
    return runPrimary(config);
  }
  // Loaded lazily so that `init` and `config check` never pay for Nest and its modules.
  const { startServer } = await import('../server.js');
  await startServer(config);
}
