import { type ArgumentsHost, Catch, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ErrorResponder } from './error-responder';

/** Registered as APP_FILTER: every error from a route, guard or pipe leaves through ErrorResponder. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  constructor(private readonly responder: ErrorResponder) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') return;
    const http = host.switchToHttp();
    this.responder.send(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}
