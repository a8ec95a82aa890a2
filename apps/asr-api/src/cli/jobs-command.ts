import type { JobView } from '@asr/jobs';
import { configOrExit, loadCliConfig } from './cli-config';
import { localServerUrl } from './server-url';

export interface JobsCommandOptions {
  url?: string;
  json?: boolean;
}

interface ErrorBody {
  message?: string;
}

function serverUrl(options: JobsCommandOptions): string {
  if (options.url) return options.url.replace(/\/$/, '');
  const { config } = configOrExit(loadCliConfig({ LOG_LEVEL: 'warn' }));
  return localServerUrl(config, 'http');
}

async function call(method: string, url: string): Promise<{ status: number; body: unknown }> {
  let response: Response;
  try {
    response = await fetch(url, { method });
  } catch (error) {
    throw new Error(`cannot reach ${new URL(url).origin}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  return { status: response.status, body: await response.json() };
}

function progress(job: JobView): string {
  const { done_seconds: done, total_seconds: total } = job.progress;
  return total === undefined ? `${done.toFixed(0)} s` : `${done.toFixed(0)}/${total.toFixed(0)} s`;
}

function line(job: JobView): string {
  const name = job.source.filename ?? job.source.url ?? '';
  return `${job.id}  ${job.status.padEnd(9)}  ${progress(job).padStart(11)}  ${job.created_at}  ${name}`;
}

function details(job: JobView): string {
  const rows: [string, string | undefined][] = [
    ['id', job.id],
    ['status', job.status],
    [
      'progress',
      `${progress(job)}${job.progress.fraction !== undefined ? ` (${Math.round(job.progress.fraction * 100)}%)` : ''}`,
    ],
    ['source', job.source.filename ?? job.source.url],
    ['created', job.created_at],
    ['started', job.started_at],
    ['finished', job.finished_at],
    ['runs', String(job.runs)],
    ['error', job.error ? `${job.error.code}: ${job.error.message}` : undefined],
    [
      'webhook',
      job.webhook ? `${job.webhook.url} (${job.webhook.state}, ${job.webhook.attempts.length} attempts)` : undefined,
    ],
    ['result', job.status === 'succeeded' ? job.links.result : undefined],
  ];
  return rows
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => `${name.padEnd(9)} ${value!}`)
    .join('\n');
}

/** Prints the answer; returns the exit code (0 ok, 1 the server refused, 2 it could not be reached). */
async function run(
  method: string,
  url: string,
  options: JobsCommandOptions,
  print: (body: unknown) => string,
): Promise<number> {
  try {
    const { status, body } = await call(method, url);
    if (status >= 400) {
      process.stderr.write(`error: ${(body as ErrorBody).message ?? `HTTP ${status}`}\n`);
      return 1;
    }
    process.stdout.write(`${options.json ? JSON.stringify(body, null, 2) : print(body)}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
}

/** `asr-api jobs list`: recent jobs of a running server, newest first. */
export function jobsListCommand(options: JobsCommandOptions & { limit: string; status?: string }): Promise<number> {
  const query = new URLSearchParams({ limit: options.limit });
  if (options.status) query.set('status', options.status);
  return run('GET', `${serverUrl(options)}/api/v1/jobs?${query.toString()}`, options, (body) => {
    const page = body as { jobs: JobView[]; total: number };
    if (page.jobs.length === 0) return 'no jobs';
    return [...page.jobs.map(line), `(${page.jobs.length} of ${page.total})`].join('\n');
  });
}

/** `asr-api jobs show ID`. */
export function jobsShowCommand(id: string, options: JobsCommandOptions): Promise<number> {
  return run('GET', `${serverUrl(options)}/api/v1/jobs/${encodeURIComponent(id)}`, options, (body) =>
    details(body as JobView),
  );
}

/** `asr-api jobs cancel ID`. */
export function jobsCancelCommand(id: string, options: JobsCommandOptions): Promise<number> {
  return run('DELETE', `${serverUrl(options)}/api/v1/jobs/${encodeURIComponent(id)}`, options, (body) =>
    details(body as JobView),
  );
}
