import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { Caller } from './api-keys';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who the request speaks for; set by the authentication hook before routing (apps/asr-api http-security). */
    caller?: Caller;
  }
}

/** The request's caller, as the authentication hook identified it; a route behind the hook always has one. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new Error('no caller on the request: the authentication hook did not run');
  return request.caller;
}

/** `@RequestCaller() caller: Caller` in a controller method. */
export const RequestCaller = createParamDecorator((_data: unknown, context: ExecutionContext): Caller =>
  callerOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
