import type { Server } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiError, checkJsonBounds, CLIENT_JSON_MAX_DEPTH } from '@asr/observability';

/** Query keys that, copied onto a DTO by class-transformer, would replace its prototype or constructor. */
const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype'];

/**
 * Bounds on what every HTTP route reads before its handler (docs/security.md, "hostile input"):
 * - application/json bodies nested deeper than CLIENT_JSON_MAX_DEPTH are refused before parsing with 400
 *   `json_too_deep` (the validation that follows recurses: a deep body was a 500), larger than the body limit
 *   with 413. Within bounds Fastify's own parser reads them, so its `__proto__` / `constructor` poisoning checks
 *   and its answers to malformed JSON stay as they were.
 * - query strings are flat already (Fastify's parser reads `a[b]=1` as the key "a[b]", and the URL is bounded by
 *   Node's header limit); a key naming a prototype member is refused with 400 `invalid_query`.
 */
export function registerClientInputBounds(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  const { bodyLimit, onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const maxBytes = bodyLimit ?? 1024 * 1024;
  const parseJson = fastify.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  app.useBodyParser<Server>('application/json', { bodyLimit: maxBytes }, (request, body, done) => {
    const refusal = checkJsonBounds(body, { maxDepth: CLIENT_JSON_MAX_DEPTH, maxBytes });
    if (refusal) {
      const status = refusal.code === 'json_too_large' ? 413 : 400;
      done(new ApiError(status, refusal.code, `${refusal.reason}; this API takes flat JSON objects`), undefined);
      return;
    }
    void parseJson(request, body.toString('utf8'), done);
  });
  fastify.addHook('onRequest', (request, _reply, done) => {
    const query = request.query as Record<string, unknown> | undefined;
    const poisoned = query && PROTOTYPE_KEYS.find((key) => Object.hasOwn(query, key));
    if (poisoned)
      done(new ApiError(400, 'invalid_query', `the query parameter "${poisoned}" is not one this API takes`));
    else done();
  });
}
