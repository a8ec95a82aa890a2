import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import type { WebSocket } from 'ws';
import { AsrProvider } from '@asr/asr';
import { HostPolicy } from '@asr/auth';
import { AppConfig } from '@asr/config';
import { ShutdownState } from '@asr/observability';
import { VadService } from '@asr/vad';
import type { Framing } from './framing';
import { type AcceptedHandshake, type HandshakeVerdict, LiveProtocols } from './live-protocol';
import { CLOSE, type CloseReason, emptySessionStats } from './protocol';
import { SessionRecorder } from './session-recorder';
import { StreamSession } from './stream-session';
import { StreamSlots } from './stream-slots';
import { StreamingStats } from './streaming-stats';

/** Seconds a refused client is told to wait before it tries again. */
const SERVER_FULL_RETRY_S = 5;

/**
 * Opens, tracks and ends live sessions of every protocol (native, OpenAI Realtime, Deepgram) under the same limits;
 * the gateways and the adapter stay thin over it.
 */
@Injectable()
export class StreamingService implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Streaming');
  private readonly sessions = new Set<StreamSession>();
  /** Settings parsed and the caller identified at the handshake, picked up when the connection opens. */
  private readonly accepted = new WeakMap<IncomingMessage, AcceptedHandshake>();

  constructor(
    private readonly config: AppConfig,
    private readonly provider: AsrProvider,
    private readonly vad: VadService,
    private readonly stats: StreamingStats,
    private readonly shutdown: ShutdownState,
    private readonly hosts: HostPolicy,
    private readonly slots: StreamSlots,
    private readonly protocols: LiveProtocols,
  ) {
    stats.capacity(config.streaming.maxClients);
  }

  get active(): number {
    return this.sessions.size;
  }

  /**
   * Before the upgrade: refused with an HTTP status while shutting down, for a Host or Origin not allowed, at a path
   * no protocol serves, and (by the protocol) without valid credentials or when a setting is invalid.
   */
  verifyHandshake(request: IncomingMessage): HandshakeVerdict {
    if (this.shutdown.active)
      return { ok: false, status: 503, reason: 'the server is shutting down; connect to another instance' };
    const url = new URL(request.url ?? '/', 'http://localhost');
    // CORS does not cover WebSockets: the Host and a browser's Origin are checked here as on every HTTP request.
    const misdirected = this.hosts.check(request.headers, url.pathname);
    if (misdirected) return { ok: false, status: misdirected.getStatus(), reason: misdirected.message };
    const protocol = this.protocols.at(url.pathname);
    if (!protocol) return { ok: false, status: 404, reason: `no live protocol is served at ${url.pathname}` };
    const verdict = protocol.handshake(request, url);
    if (!verdict.ok) return verdict;
    this.accepted.set(request, verdict);
    return { ok: true };
  }

  /**
   * A connection is open: it becomes a session, or it is told why not in its protocol (above STREAMING_MAX_CLIENTS:
   * closed 1013, so a browser can tell). Never rejects: a failure ends this connection, logged, and nothing else.
   */
  async open(socket: WebSocket, request: IncomingMessage): Promise<void> {
    const accepted = this.accepted.get(request);
    if (!accepted) {
      socket.close(CLOSE.policy, 'handshake not verified');
      return;
    }
    try {
      await this.admit(socket, accepted);
    } catch (error) {
      this.logger.error({ err: error }, 'stream session could not be opened');
      this.refuseQuietly(socket, accepted.framing);
    }
  }

  private async admit(socket: WebSocket, { caller, framing }: AcceptedHandshake): Promise<void> {
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
      this.refuse(
        socket,
        framing,
        CLOSE.policy,
        'too_many_streams',
        `this ${caller.authenticated ? 'API key' : 'client'} already holds STREAMS_PER_KEY=${perCaller} streams; close one first`,
      );
      return;
    }
    if (admission !== 'admitted') {
      this.refuseFull(socket, framing);
      return;
    }
    if (socket.readyState !== socket.OPEN) {
      // The client left while it waited.
      this.slots.release(caller.id);
      return;
    }
    let session: StreamSession;
    try {
      session = this.newSession(socket, framing);
    } catch (error) {
      // The connection is ended (1011) by open(); the slot must not stay taken.
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

  private newSession(socket: WebSocket, framing: Framing): StreamSession {
    return new StreamSession(socket, framing, {
      provider: this.provider,
      vad: this.vad,
      stats: this.stats,
      limits: this.config.streaming,
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

  private refuseFull(socket: WebSocket, framing: Framing): void {
    const max = this.config.streaming.maxClients;
    this.refuse(
      socket,
      framing,
      CLOSE.tryAgainLater,
      'server_full',
      `the server is at STREAMING_MAX_CLIENTS=${max} streams; retry after ${SERVER_FULL_RETRY_S} s`,
      SERVER_FULL_RETRY_S,
    );
    this.logger.warn(`stream refused: ${max} sessions open`);
  }

  /** A connection that gets no session: why (the protocol's fatal error), its closing messages, the close code. */
  private refuse(
    socket: WebSocket,
    framing: Framing,
    code: number,
    reason: CloseReason,
    message: string,
    retryAfterS?: number,
  ): void {
    const messages = [...framing.fatal(reason, message, retryAfterS), ...framing.closing(reason, emptySessionStats())];
    for (const m of messages) socket.send(JSON.stringify(m));
    const frame = framing.close(reason, code);
    socket.close(frame.code, frame.reason);
  }

  /** Opening failed in our own code: the client hears so if it can; the connection ends either way. */
  private refuseQuietly(socket: WebSocket, framing: Framing): void {
    try {
      if (socket.readyState !== socket.OPEN) return;
      this.refuse(
        socket,
        framing,
        CLOSE.internalError,
        'server_error',
        'the server failed opening this stream; it is logged',
      );
    } catch {
      socket.terminate();
    }
  }

  /** Shutdown: every session finishes its utterances and finals, then closes 1001, before the server goes. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.sessions.size === 0) return;
    this.logger.log(`ending ${this.sessions.size} stream(s)`);
    await Promise.all([...this.sessions].map((s) => s.end(CLOSE.goingAway, 'server_shutdown')));
  }
}
