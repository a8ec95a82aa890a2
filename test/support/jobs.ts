import { readFileSync } from 'node:fs';
import type { JobView } from '@asr/jobs';

/** POSTs `file` (a path) as a job with `fields`; returns the response and its body. */
export async function submitJob(
  url: string,
  file: string,
  fields: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown>; ms: number }> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([readFileSync(file)]), file.split('/').pop());
  const started = performance.now();
  const response = await fetch(`${url}/api/v1/jobs`, { method: 'POST', body: form });
  const ms = performance.now() - started;
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
    ms,
  };
}

export async function getJob(url: string, id: string): Promise<JobView> {
  const response = await fetch(`${url}/api/v1/jobs/${id}`);
  if (response.status !== 200) throw new Error(`GET job ${id}: ${response.status} ${await response.text()}`);
  return (await response.json()) as JobView;
}

/** Polls the job every `everyMs` until `done(job)`; every job seen is passed to `onJob` (progress checks). */
export async function waitForJob(
  url: string,
  id: string,
  done: (job: JobView) => boolean,
  {
    timeoutMs = 60_000,
    everyMs = 100,
    onJob,
  }: { timeoutMs?: number; everyMs?: number; onJob?: (job: JobView) => void } = {},
): Promise<JobView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await getJob(url, id);
    onJob?.(job);
    if (done(job)) return job;
    if (Date.now() > deadline)
      throw new Error(`job ${id} still ${job.status} after ${timeoutMs} ms: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const finished = (job: JobView): boolean => ['succeeded', 'failed', 'cancelled'].includes(job.status);
