import multipart from '@fastify/multipart';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@asr/config';
import { LISTEN_AUDIO_TYPE, LISTEN_ROUTE } from '@asr/jobs';
import { ApiError, ErrorResponder } from '@asr/observability';

/** Routes that take audio uploads; only these get the early Content-Length check. */
const UPLOAD_ROUTES = new Set([
  '/api/v1/transcribe',
  '/v1/audio/transcriptions',
  '/v1/audio/translations',
  '/api/v1/vad',
  '/api/v1/jobs',
  LISTEN_ROUTE,
]);

/**
 * Multipart uploads streamed with a size limit, and a declared Content-Length above MAX_UPLOAD_BYTES refused
 * with 413 before a byte of the body is read.
 */
export async function registerUploads(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  const maxBytes = config.audio.maxUploadBytes;
  await app.register(multipart, {
    limits: { fileSize: maxBytes, files: 1, fields: 32, fieldSize: 64 * 1024, parts: 40 },
  });
  const responder = app.get(ErrorResponder);
  const fastify = app.getHttpAdapter().getInstance();
  // Deepgram's route takes the audio itself as the body: it gets the unread stream and spools it with its limits.
  // Elsewhere these types stay what they were, unsupported.
  fastify.addContentTypeParser(LISTEN_AUDIO_TYPE, (request, payload, done) => {
    if (request.method === 'POST' && request.url.split('?')[0] === LISTEN_ROUTE) done(null, payload);
    else done(new ApiError(415, 'unsupported_media_type', 'Unsupported Media Type'), undefined);
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    const declared = Number(request.headers['content-length'] ?? 0);
    if (request.method === 'POST' && UPLOAD_ROUTES.has(request.url.split('?')[0]!) && declared > maxBytes) {
      // Close afterwards rather than read (and discard) the rest of an oversized body.
      void reply.header('connection', 'close');
      responder.send(
        new ApiError(413, 'upload_too_large', `the upload is ${declared} bytes; MAX_UPLOAD_BYTES allows ${maxBytes}`),
        request,
        reply,
      );
      return;
    }
    done();
  });
}
