import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { AsrProvider } from '@asr/asr';
import { AppConfig } from '@asr/config';
import { ShutdownState } from '@asr/observability';
import { VadService } from '@asr/vad';
import { CLOSE, emptySessionStats } from './protocol';
import { parseStreamQuery, type StreamLimits, type StreamSettings } from './stream-params';
import { SessionRecorder } from './session-recorder';
import { StreamSession } from './stream-session';
import { type StreamSlots, streamSlotsFor } from './stream-slots';
import { StreamingStats } from './streaming-stats';

export type HandshakeVerdict = { ok: true } | { ok: false; status: number; reason: string };

/** Seconds a refused client is told to wait before it tries again. */
const SERVER_FULL_RETRY_S = 5;

/** Opens, tracks and ends streaming sessions; the gateway and the adapter stay thin over it. */
@Injectable()
export class StreamingService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Streaming');
  private readonly sessions = new Set<StreamSession>();
  /** Settings parsed at the handshake, picked up when the connection opens. */
  private readonly accepted = new WeakMap<IncomingMessage, StreamSettings>();
  readonly limits: StreamLimits;
  private readonly slots: StreamSlots;

  constructor(
    private readonly config: AppConfig,
    private readonly provider: AsrProvider,
    private readonly vad: VadService,
    private readonly stats: StreamingStats,
    private readonly shutdown: ShutdownState,
  ) {
    this.limits = {
      maxSpeechPadMs: Math.round(config.streaming.lookbackDurationS * 1000),
      maxSegmentS: config.streaming.maxDurationS,
    };
    this.slots = streamSlotsFor(config.streaming.maxClients);
    stats.capacity(config.streaming.maxClients);
  }

  get active(): number {
    return this.sessions.size;
  }

  /** Before the upgrade: refused with an HTTP status while shutting down or when a query value is invalid. */
  verifyHandshake(request: IncomingMessage): HandshakeVerdict {
    if (this.shutdown.active)
      return { ok: false, status: 503, reason: 'the server is shutting down; connect to another instance' };
    const query = new URL(request.url ?? '/', 'http://localhost').searchParams;
    const parsed = parseStreamQuery(query, this.limits);
    if (!parsed.ok) return { ok: false, status: 400, reason: parsed.reason };
    this.accepted.set(request, parsed.value);
    return { ok: true };
  }

  /** A connection is open. Above STREAMING_MAX_CLIENTS it is told so (so a browser can tell) and closed 1013. */
  async open(socket: WebSocket, request: IncomingMessage): Promise<void> {
    const settings = this.accepted.get(request);
    if (!settings) {
      socket.close(CLOSE.policy, 'handshake not verified');
      return;
    }
    // Frames that arrive while admission is decided wait in the socket, not lost before the session listens
    // (resumed in the same tick the session starts listening).
    socket.pause();
    const admitted = await this.slots.tryAcquire().catch((error: unknown) => {
      this.logger.error({ err: error }, 'stream admission failed');
      return false;
    });
    socket.resume();
    if (!admitted) {
      this.refuseFull(socket);
      return;
    }
    if (socket.readyState !== socket.OPEN) {
      // The client left while it waited.
      this.slots.release();
      return;
    }
    const session = new StreamSession(socket, settings, {
      provider: this.provider,
      vad: this.vad,
      stats: this.stats,
      limits: this.config.streaming,
      streamLimits: this.limits,
      logger: this.logger,
      ...(this.config.streaming.record && {
        record: (id: string) =>
          new SessionRecorder(
            join(this.config.storage.audioPath, 'streams'),
            id,
            this.config.streaming.recordMaxBytes,
            this.logger,
          ),
      }),
    });
    this.sessions.add(session);
    void session.closed.then(() => {
      this.sessions.delete(session);
      this.slots.release();
    });
    session.start();
  }

  private refuseFull(socket: WebSocket): void {
    const max = this.config.streaming.maxClients;
    socket.send(
      JSON.stringify({
        type: 'error',
        code: 'server_full',
        message: `the server is at STREAMING_MAX_CLIENTS=${max} streams; retry after ${SERVER_FULL_RETRY_S} s`,
        fatal: true,
        retry_after: SERVER_FULL_RETRY_S,
      }),
    );
    socket.send(JSON.stringify({ type: 'session.closed', reason: 'server_full', stats: emptySessionStats() }));
    socket.close(CLOSE.tryAgainLater, 'server_full');
    this.logger.warn(`stream refused: ${max} sessions open`);
  }

  /** Shutdown: every session finishes its utterances and finals, then closes 1001, before the server goes. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.sessions.size === 0) return;
    this.logger.log(`ending ${this.sessions.size} stream(s)`);
    await Promise.all([...this.sessions].map((s) => s.end(CLOSE.goingAway, 'server_shutdown')));
  }
}
