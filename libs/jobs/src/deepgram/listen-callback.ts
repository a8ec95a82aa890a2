import type { Job, JobResult } from '../job';
import { type ListenErrorBody, type ListenResponse, toListenResponse } from './listen-response';

/**
 * The body a Deepgram `callback` receives when its job ends: the response the request would have had, or Deepgram's
 * error body. `request_id` is the job's id, as the request's answer gave it.
 */
export function listenCallbackBody(
  job: Job,
  result: JobResult | undefined,
  sha256: string | undefined,
): ListenResponse | ListenErrorBody {
  const options = job.options.deepgram;
  if (job.status !== 'succeeded' || !result || !options)
    return {
      err_code: job.error?.code ?? 'internal_error',
      err_msg: job.error?.message ?? `the transcription ${job.status === 'cancelled' ? 'was cancelled' : 'failed'}`,
      request_id: job.id,
    };
  return toListenResponse({
    requestId: job.id,
    created: new Date(job.createdAt).toISOString(),
    // Known at submit for a body; recorded by the runner before decoding for a URL.
    sha256: options.sha256 ?? sha256 ?? '',
    transcript: result.transcript,
    model: result.model,
    provider: result.provider,
    options,
  });
}
