import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AsrError } from '@asr/asr';
import { AudioError } from '@asr/audio';
import { ErrorResponder } from '@asr/observability';

/** Audio and engine errors are answered from the error table (status, Retry-After) by the responder. */
@Catch(AudioError, AsrError)
export class TranscriptionErrorFilter implements ExceptionFilter {
  constructor(private readonly responder: ErrorResponder) {}

  catch(error: AudioError | AsrError, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    // A client that went away gets no answer; its work was cancelled on purpose.
    if (error instanceof AsrError && error.code === 'cancelled' && reply.raw.destroyed) return;
    this.responder.send(error, http.getRequest<FastifyRequest>(), reply);
  }
}
