import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AsrError } from '@asr/asr';
import { AudioError } from '@asr/audio';
import { ApiError, ErrorResponder } from '@asr/observability';

/** Audio and engine errors carry their own status and code; 503/429 add Retry-After. */
@Catch(AudioError, AsrError)
export class TranscriptionErrorFilter implements ExceptionFilter {
  constructor(private readonly responder: ErrorResponder) {}

  catch(error: AudioError | AsrError, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    // A client that went away gets no answer; its work was cancelled on purpose.
    if (error instanceof AsrError && error.code === 'cancelled' && reply.raw.destroyed) return;
    const retryAfter =
      error instanceof AsrError && error.retryAfterS !== undefined
        ? { 'retry-after': String(error.retryAfterS) }
        : undefined;
    this.responder.send(
      new ApiError(error.status, error.code, error.message, retryAfter),
      http.getRequest<FastifyRequest>(),
      reply,
    );
  }
}
