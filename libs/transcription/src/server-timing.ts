import type { FastifyReply } from 'fastify';
import type { TranscriptionTimings } from './transcription.service';

export interface RequestTimings extends TranscriptionTimings {
  uploadMs: number;
  formatMs: number;
}

/**
 * `Server-Timing: upload;dur=…, decode;dur=…, vad;dur=…, asr;dur=…, format;dur=…` — browsers' developer tools show it, and the
 * overhead benchmark reads it to split the time the service adds from the engine's.
 */
export function setServerTiming(reply: FastifyReply, timings: RequestTimings): void {
  const entries = [
    ['upload', timings.uploadMs],
    ['decode', timings.decodeMs],
    ['vad', timings.vadMs],
    ['asr', timings.asrMs],
    ['format', timings.formatMs],
  ] as const;
  void reply.header('server-timing', entries.map(([name, ms]) => `${name};dur=${ms.toFixed(2)}`).join(', '));
}
