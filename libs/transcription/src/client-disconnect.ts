import type { FastifyReply } from 'fastify';
import { AbortReason } from '@asr/asr';

/** Aborts when the client goes away before the reply is complete: its engine slot and provider call are freed. */
export function abortOnDisconnect(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new AbortReason('client_gone'));
  });
  return controller;
}
