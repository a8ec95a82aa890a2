import { HttpException, Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '@asr/config';
import {
  ApiError,
  type ApiErrorBody,
  codeForStatus,
  type DeepgramErrorBody,
  isDeepgramRoute,
  isOpenAiRoute,
  type OpenAiErrorBody,
  openAiErrorType,
} from './api-error';
import { httpAnswerOf } from './error-table';
import { redactUrl } from './log-redaction';

interface ErrorReply {
  status: number;
  code: string;
  message: string;
  headers: Record<string, string>;
  detail?: unknown;
}

/** Fastify's own errors (body too large, bad JSON) carry a statusCode and a FST_* code. */
interface FastifyLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

/**
 * Turns any error into the one JSON error shape (or OpenAI's envelope under /v1, Deepgram's on /v1/listen); a domain error's status comes from
 * the error table. 5xx bodies never carry internals unless API_DEBUG is on; they are logged with the stack and the
 * request id that the client sees.
 */
@Injectable()
export class ErrorResponder {
  private readonly logger = new Logger('http');

  constructor(private readonly config: AppConfig) {}

  private classify(error: unknown): ErrorReply {
    if (error instanceof ApiError) {
      return { status: error.getStatus(), code: error.code, message: error.message, headers: error.headers };
    }
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const code =
        status === 400 && Array.isArray((error.getResponse() as { message?: unknown }).message)
          ? 'validation_failed'
          : codeForStatus(status);
      return { status, code, message: messageOf(error), headers: {} };
    }
    const domain = httpAnswerOf(error);
    if (domain) return domain;
    const fastifyError = error as FastifyLikeError;
    if (
      typeof fastifyError?.statusCode === 'number' &&
      fastifyError.statusCode >= 400 &&
      fastifyError.statusCode < 500
    ) {
      const status = fastifyError.statusCode;
      return { status, code: codeForStatus(status), message: fastifyError.message ?? 'Bad request', headers: {} };
    }
    return {
      status: 500,
      code: 'internal_error',
      message: 'Internal server error; quote the request id when reporting it.',
      headers: {},
      detail:
        this.config.api.debug && error instanceof Error ? { error: error.message, stack: error.stack } : undefined,
    };
  }

  send(error: unknown, request: FastifyRequest, reply: FastifyReply): void {
    const { status, code, message, headers, detail } = this.classify(error);
    const url = request.originalUrl ?? request.url;
    if (status >= 500) {
      // The query may carry a stream token or a key: the log gets the URL with those values blanked.
      this.logger.error({ err: error, requestId: request.id }, `${request.method} ${redactUrl(url)} failed: ${code}`);
    }
    const body: ApiErrorBody | OpenAiErrorBody | DeepgramErrorBody = isDeepgramRoute(url)
      ? { err_code: code, err_msg: message, request_id: request.id }
      : isOpenAiRoute(url)
        ? { error: { message, type: openAiErrorType(status), param: null, code } }
        : { status, code, message, requestId: request.id, ...(detail === undefined ? {} : { detail }) };
    void reply.status(status).headers(headers).send(body);
  }
}
