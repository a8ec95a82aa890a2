import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { AsrProvider } from '@asr/asr';
import { Authenticator, type Caller, HostPolicy } from '@asr/auth';
import { AppConfig } from '@asr/config';
import { ShutdownState } from '@asr/observability';
import { VadService } from '@asr/vad';
import { CLOSE, type CloseReason, emptySessionStats } from './protocol';
import { parseStreamQuery, type StreamLimits, type StreamSettings } from './stream-params';
import { SessionRecorder } from './session-recorder';
import { StreamSession } from './stream-session';
import { StreamSlots } from './stream-slots';
import { StreamingStats } from './streaming-stats';

export type HandshakeVerdict =
  { ok: true } | { ok: false; status: number; reason: string; headers?: Record<string, string> };

interface AcceptedHandshake {
  settings: StreamSettings;
  caller: Caller;
}

/** Seconds a refused client is told to wait before it tries again. */
const SERVER_FULL_RETRY_S = 5;

/** Opens, tracks and ends streaming sessions; the gateway and the adapter stay thin over it. */
@Injectable()
export class StreamingService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Streaming');
  private readonly sessions = new Set<StreamSession>();
  /** Settings parsed and the caller identified at the handshake, picked up when the connection opens. */
  private readonly accepted = new WeakMap<IncomingMessage, AcceptedHandshake>();
  readonly limits: StreamLimits;

  constructor(
    private readonly config: AppConfig,
    private readonly provider: AsrProvider,
    private readonly vad: VadService,
    private readonly stats: StreamingStats,
    private readonly shutdown: ShutdownState,
    private readonly authenticator: Authenticator,
    private readonly hosts: HostPolicy,
    private readonly slots: StreamSlots,
  ) {
    this.limits = {
      maxSpeechPadMs: Math.round(config.streaming.lookbackDurationS * 1000),
      maxSegmentS: config.streaming.maxDurationS,
    };
    stats.capacity(config.streaming.maxClients);
  }

  get active(): number {
    return this.sessions.size;
  }

  /**
   * Before the upgrade: refused with an HTTP status while shutting down, for a Host or Origin not allowed, without
   * valid credentials, or when a query value is invalid.
   */
  verifyHandshake(request: IncomingMessage): HandshakeVerdict {
    if (this.shutdown.active)
      return { ok: false, status: 503, reason: 'the server is shutting down; connect to another instance' };
    const url = new URL(request.url ?? '/', 'http://localhost');
    // CORS does not cover WebSockets: the Host and a browser's Origin are checked here as on every HTTP request.
    const misdirected = this.hosts.check(request.headers, url.pathname);
    if (misdirected) return { ok: false, status: misdirected.getStatus(), reason: misdirected.message };
    const query = url.searchParams;
    const auth = this.authenticator.stream(request, query);
    if (!auth.ok)
      return { ok: false, status: auth.error.getStatus(), reason: auth.error.message, headers: auth.error.headers };
    // The token is a credential, not a stream setting.
    query.delete('token');
    const parsed = parseStreamQuery(query, this.limits);
    if (!parsed.ok) return { ok: false, status: 400, reason: parsed.reason };
    this.accepted.set(request, { settings: parsed.value, caller: auth.caller });
    return { ok: true };
  }

  /** A connection is open. Above STREAMING_MAX_CLIENTS it is told so (so a browser can tell) and closed 1013. */
  async open(socket: WebSocket, request: IncomingMessage): Promise<void> {
    const accepted = this.accepted.get(request);
    if (!accepted) {
      socket.close(CLOSE.policy, 'handshake not verified');
      return;
    }
    const { settings, caller } = accepted;
    // Frames that arrive while admission is decided wait in the socket, not lost before the session listens
    // (resumed in the same tick the session starts listening). The slot is counted before anything is awaited
    // (or by the primary, under API_WORKERS), so simultaneous handshakes cannot all pass STREAMS_PER_KEY.
    socket.pause();
    const admission = await this.slots.tryAcquire(caller.id).catch((error: unknown) => {
      this.logger.error({ err: error }, 'stream admission failed');
      return 'server_full' as const;
    });
    socket.resume();
    if (admission === 'too_many_streams') {
      const perCaller = this.config.security.streamsPerKey;
      this.refuse(socket, CLOSE.policy, 'too_many_streams', {
        code: 'too_many_streams',
        message: `this ${caller.authenticated ? 'API key' : 'client'} already holds STREAMS_PER_KEY=${perCaller} streams; close one first`,
      });
      return;
    }
    if (admission !== 'admitted') {
      this.refuseFull(socket);
      return;
    }
    if (socket.readyState !== socket.OPEN) {
      // The client left while it waited.
      this.slots.release(caller.id);
      return;
    }
    let session: StreamSession;
    try {
      session = this.newSession(socket, settings);
    } catch (error) {
      // The gateway ends this connection (1011); the slot must not stay taken.
      this.slots.release(caller.id);
      throw error;
    }
    this.sessions.add(session);
    void session.closed.then(() => {
      this.sessions.delete(session);
      this.slots.release(caller.id);
    });
    session.start();
  }

  private newSession(socket: WebSocket, settings: StreamSettings): StreamSession {
    return new StreamSession(socket, settings, {
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
  }

  private refuseFull(socket: WebSocket): void {
    const max = this.config.streaming.maxClients;
    this.refuse(socket, CLOSE.tryAgainLater, 'server_full', {
      code: 'server_full',
      message: `the server is at STREAMING_MAX_CLIENTS=${max} streams; retry after ${SERVER_FULL_RETRY_S} s`,
      retry_after: SERVER_FULL_RETRY_S,
    });
    this.logger.warn(`stream refused: ${max} sessions open`);
  }

  /** A connection that gets no session: why (a fatal `error`), `session.closed`, and the close code. */
  private refuse(
    socket: WebSocket,
    code: number,
    reason: CloseReason,
    error: { code: string; message: string; retry_after?: number },
  ): void {
    socket.send(JSON.stringify({ type: 'error', ...error, fatal: true }));
    socket.send(JSON.stringify({ type: 'session.closed', reason, stats: emptySessionStats() }));
    socket.close(code, reason);
  }

  /** Shutdown: every session finishes its utterances and finals, then closes 1001, before the server goes. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.sessions.size === 0) return;
    this.logger.log(`ending ${this.sessions.size} stream(s)`);
    await Promise.all([...this.sessions].map((s) => s.end(CLOSE.goingAway, 'server_shutdown')));
  }
}
