import { HttpException } from '@nestjs/common';

/** An error with a stable machine-readable code, for clients to branch on (`unsupported_language`, `server_busy`). */
export class ApiError extends HttpException {
  constructor(
    status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message, status);
  }
}

const CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  411: 'length_required',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'rate_limited',
  500: 'internal_error',
  501: 'not_implemented',
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

export function codeForStatus(status: number): string {
  return CODES[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
}

/** The service's own error body. */
export interface ApiErrorBody {
  status: number;
  code: string;
  message: string;
  requestId: string;
  detail?: unknown;
}

/** OpenAI's envelope, for the OpenAI-compatible routes under /v1, so the official SDKs raise the right error types. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** Deepgram's error body, for its prerecorded route (POST /v1/listen), so its SDKs read the error as they expect. */
export interface DeepgramErrorBody {
  err_code: string;
  err_msg: string;
  request_id: string;
}

export function isDeepgramRoute(url: string): boolean {
  return url.split('?')[0] === '/v1/listen';
}

export function isOpenAiRoute(url: string): boolean {
  return url === '/v1' || url.startsWith('/v1/') || url.startsWith('/v1?');
}
