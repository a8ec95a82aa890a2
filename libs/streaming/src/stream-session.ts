import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@nestjs/common';
import type { WebSocket } from 'ws';
import type { AsrProvider } from '@asr/asr';
import { PcmStreamDecoder, roundSeconds } from '@asr/audio';
import type { AppConfig } from '@asr/config';
import { StreamVad, type StreamVadEvent, type VadService } from '@asr/vad';
import {
  CLOSE,
  type ClientMessage,
  emptySessionStats,
  type CloseReason,
  parseClientMessage,
  seconds,
  type ServerEvent,
  type SessionStats,
} from './protocol';
import { describeSettings, parseConfigure, type StreamLimits, type StreamSettings } from './stream-params';
import type { SessionRecorder } from './session-recorder';
import type { StreamingStats } from './streaming-stats';
import { type PartialEvent, type FinalEvent, Utterance } from './utterance';

export interface SessionContext {
  provider: AsrProvider;
  vad: VadService;
  stats: StreamingStats;
  limits: AppConfig['streaming'];
  streamLimits: StreamLimits;
  logger: Logger;
  /** STREAM_RECORD: a recorder for a session, by its id. */
  record?: (sessionId: string) => SessionRecorder;
}

type InboxItem =
  | { kind: 'audio'; data: Buffer; seconds: number }
  | { kind: 'message'; message: ClientMessage }
  | { kind: 'end'; code: number; reason: CloseReason };

/** Audio a client may send ahead of the real-time allowance before its socket is paused, in seconds. */
const BURST_S = 2;
/**
 * Unprocessed audio a session holds before it stops reading the socket, and past which it closes 1008 (only a
 * client that keeps sending into a paused socket gets there: a paused socket is not read at all).
 */
const PAUSE_BACKLOG_S = 2;
const MAX_BACKLOG_S = 30;
/** How long a closing handshake may take before the socket is cut. */
const CLOSE_HANDSHAKE_MS = 2000;

/**
 * One WebSocket client's stream: its PCM decoder, its VAD, the utterance in progress and the finals still being
 * transcribed. Everything the client sends goes through one queue, in order; finals leave in segment order,
 * exactly one per announced utterance, also when the provider fails.
 */
export class StreamSession {
  readonly id = randomUUID();
  private readonly decoder: PcmStreamDecoder;
  private readonly vad: StreamVad;
  private readonly stats = emptySessionStats();
  private readonly startedAt = performance.now();
  private readonly inbox: InboxItem[] = [];
  private backlogSeconds = 0;
  private processedSeconds = 0;
  private draining: Promise<void> | undefined;
  private state: 'open' | 'ending' | 'closed' = 'open';
  private nextSegmentId = 0;
  private utterance: Utterance | undefined;
  private finals: Promise<void> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private sessionTimer: NodeJS.Timeout | undefined;
  private pausedForBacklog = false;
  private released = false;
  private readonly recorder: SessionRecorder | undefined;
  private resolveClosed!: () => void;
  /** Resolves when the session is over and its socket closed (or cut). */
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    private readonly socket: WebSocket,
    private settings: StreamSettings,
    private readonly ctx: SessionContext,
  ) {
    this.decoder = new PcmStreamDecoder(settings.format);
    this.recorder = ctx.record?.(this.id);
    this.vad = new StreamVad(
      ctx.vad.sharedBatcher,
      ctx.vad.settings(settings.vad),
      Math.round(ctx.limits.lookbackDurationS * 16_000),
    );
  }

  start(): void {
    // A throw in a socket listener would reach the event loop and end the process: every listener is guarded.
    this.socket.on('message', (data: Buffer, isBinary: boolean) => this.guard(() => this.receive(data, isBinary)));
    this.socket.on('close', () => this.onSocketClosed());
    // An error is followed by 'close'; the adapter logs it.
    this.socket.on('error', () => undefined);
    this.guard(() => {
      this.ctx.stats.opened(this.id, this.stats);
      this.send({
        type: 'session.started',
        session_id: this.id,
        config: describeSettings(this.settings, this.ctx.vad.settingsMs(this.settings.vad)),
      });
      this.armIdleTimer();
      this.sessionTimer = setTimeout(
        () => this.guard(() => void this.end(CLOSE.sessionTooLong, 'max_duration')),
        this.ctx.limits.maxSessionS * 1000,
      );
    });
  }

  /** Ends the session gracefully: what was received is processed, every final sent, then `session.closed`. */
  end(code: number, reason: CloseReason): Promise<void> {
    if (this.state === 'open') {
      this.state = 'ending';
      // Finishing the last finals is not idleness.
      clearTimeout(this.idleTimer);
      this.enqueue({ kind: 'end', code, reason });
    }
    return this.closed;
  }

  // --- receiving

  private receive(data: Buffer, isBinary: boolean): void {
    if (this.state !== 'open') return;
    if (data.length > this.ctx.limits.maxFrameBytes) {
      this.abort(
        CLOSE.tooBig,
        'frame_too_large',
        `a frame of ${data.length} bytes is over STREAM_MAX_FRAME_BYTES=${this.ctx.limits.maxFrameBytes}; send smaller frames`,
      );
      return;
    }
    if (isBinary) {
      this.armIdleTimer();
      const audioSeconds = this.decoder.secondsIn(data.length);
      this.stats.audio_seconds += audioSeconds;
      this.ctx.stats.audio(audioSeconds);
      this.backlogSeconds += audioSeconds;
      this.enqueue({ kind: 'audio', data, seconds: audioSeconds });
      this.throttle();
      return;
    }
    const parsed = parseClientMessage(data.toString('utf8'));
    if (!parsed.ok) {
      this.sendError('invalid_message', parsed.reason);
      return;
    }
    const message = parsed.message;
    if (message.type === 'keepalive') {
      this.armIdleTimer();
      return;
    }
    if (message.type === 'close') {
      void this.end(CLOSE.normal, 'client_closed');
      return;
    }
    this.enqueue({ kind: 'message', message });
  }

  /** Too much received and not yet processed: stop reading the socket; far too much: close 1008. */
  private throttle(): void {
    if (this.backlogSeconds > MAX_BACKLOG_S) {
      this.abort(
        CLOSE.policy,
        'too_fast',
        `more than ${MAX_BACKLOG_S} s of audio is waiting to be processed; send at most ${this.ctx.limits.maxRate}× real time`,
      );
      return;
    }
    if (this.backlogSeconds > PAUSE_BACKLOG_S && !this.pausedForBacklog) {
      this.pausedForBacklog = true;
      this.socket.pause();
      // While we hold the socket paused the client's audio waits in it: the client is not idle.
      clearTimeout(this.idleTimer);
    }
  }

  private enqueue(item: InboxItem): void {
    this.inbox.push(item);
    this.draining ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      for (let item = this.inbox.shift(); item && this.state !== 'closed'; item = this.inbox.shift()) {
        await this.process(item);
        if (this.pausedForBacklog && this.backlogSeconds < PAUSE_BACKLOG_S / 2 && this.state === 'open') {
          this.pausedForBacklog = false;
          this.socket.resume();
          this.armIdleTimer();
        }
      }
    } catch (error) {
      this.fail(error);
    } finally {
      this.draining = undefined;
    }
  }

  private async process(item: InboxItem): Promise<void> {
    switch (item.kind) {
      case 'audio': {
        await this.keepPace(item.seconds);
        this.backlogSeconds -= item.seconds;
        this.processedSeconds += item.seconds;
        await this.feed(this.decoder.push(item.data));
        return;
      }
      case 'end':
        await this.finish(item.code, item.reason);
        return;
      case 'message':
        if (item.message.type === 'finalize') this.handle(this.vad.finalize());
        else if (item.message.type === 'configure') this.configure(item.message);
        return;
    }
  }

  /**
   * Audio is processed at most STREAM_MAX_RATE × real time (after a short burst): a faster client waits here, its
   * backlog grows and its socket is paused, so what it sends stays in its own buffers, not in ours.
   */
  private async keepPace(audioSeconds: number): Promise<void> {
    const elapsedS = (performance.now() - this.startedAt) / 1000;
    const aheadS = this.processedSeconds + audioSeconds - (elapsedS * this.ctx.limits.maxRate + BURST_S);
    if (aheadS > 0) await sleep((aheadS / this.ctx.limits.maxRate) * 1000);
  }

  private configure(message: Record<string, unknown>): void {
    const result = parseConfigure(message, this.settings, this.ctx.streamLimits);
    if (!result.ok) {
      this.sendError('invalid_configure', result.reason);
      return;
    }
    this.settings = result.value;
    this.vad.configure(this.ctx.vad.settings(this.settings.vad));
  }

  private async feed(samples: Float32Array): Promise<void> {
    if (samples.length === 0) return;
    this.recorder?.writeAudio(samples);
    this.handle(await this.vad.push(samples));
    const spoken = this.vad.utteranceSamples;
    if (spoken) this.utterance?.grew(spoken);
  }

  // --- utterances

  private handle(events: StreamVadEvent[]): void {
    for (const event of events) {
      if (event.type === 'speech-start') this.speechStarted(event.start);
      else this.speechEnded(event.samples, event.span.end);
    }
  }

  private speechStarted(start: number): void {
    const id = this.nextSegmentId;
    this.nextSegmentId += 1;
    this.stats.utterances += 1;
    this.ctx.stats.utterance();
    this.utterance = new Utterance({
      id,
      start,
      provider: this.ctx.provider,
      language: this.settings.language,
      interimResults: this.settings.interimResults,
      partialEverySamples: Math.round(this.ctx.limits.chunkDurationS * 16_000),
      // Called from the provider's promise callbacks: a throw there would be an unhandled rejection.
      sendPartial: (event) => this.guard(() => this.sendPartial(event)),
    });
    this.send({ type: 'speech.started', segment_id: id, start: seconds(start) });
  }

  private speechEnded(samples: Float32Array, end: number): void {
    const utterance = this.utterance;
    if (!utterance) return;
    this.utterance = undefined;
    this.send({ type: 'speech.stopped', segment_id: utterance.id, end: seconds(end) });
    const heardAt = performance.now();
    const final = utterance.end(samples, end);
    // Chained: finals leave in segment order even when a later one is ready first. A failure ends this session
    // only; uncaught, the rejected chain would end the process once nobody awaits it.
    this.finals = this.finals
      .then(async () => this.sendFinal(await final, heardAt))
      .catch((error: unknown) => this.fail(error));
  }

  private sendPartial(event: PartialEvent): void {
    if (this.state === 'closed') return;
    if (this.socket.bufferedAmount > this.ctx.limits.maxPendingBytes / 2) {
      // A slow reader loses previews first; finals are never dropped.
      this.stats.partials_skipped += 1;
      return;
    }
    this.stats.partials += 1;
    this.ctx.stats.partial();
    this.send(event);
  }

  private sendFinal(event: FinalEvent, heardAt: number): void {
    if (this.state === 'closed') return;
    this.stats.finals += 1;
    if (event.error) this.stats.errors += 1;
    this.send(event);
    this.ctx.stats.final((performance.now() - heardAt) / 1000, event.error !== undefined);
  }

  // --- sending and closing

  private send(event: ServerEvent): void {
    if (event.type !== 'transcript.partial') this.recorder?.writeEvent(event);
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.ctx.limits.maxPendingBytes) {
      this.abort(
        CLOSE.policy,
        'slow_reader',
        `more than STREAM_MAX_PENDING_BYTES=${this.ctx.limits.maxPendingBytes} bytes of messages are waiting for this client to read them`,
      );
      return;
    }
    this.socket.send(JSON.stringify(event));
  }

  /** A non-fatal error: the client sent something wrong; the stream goes on. */
  private sendError(code: string, message: string): void {
    this.send({ type: 'error', code, message, fatal: false });
  }

  /** The graceful end, run in order with what the client sent before it. */
  private async finish(code: number, reason: CloseReason): Promise<void> {
    await this.feed(this.decoder.flush());
    this.handle(await this.vad.finish());
    await this.finals;
    await this.close(code, reason);
  }

  /** An immediate end (a limit was broken): no more finals. */
  private abort(code: number, reason: CloseReason, message: string): void {
    if (this.state === 'closed') return;
    this.utterance?.cancel();
    this.utterance = undefined;
    // Past the pending limit too: the client is told why (after what it has not read yet) and closed.
    this.sendNow({ type: 'error', code: reason, message, fatal: true });
    void this.close(code, reason);
  }

  /**
   * A throw in this session's own code (or a collaborator's): the session ends with `error {code: server_error}`
   * and 1011, it is logged, its resources are freed; the process and every other session go on.
   */
  private fail(error: unknown): void {
    this.logQuietly(error, 'stream session failed');
    try {
      this.abort(CLOSE.internalError, 'server_error', 'the server failed processing this stream; it is logged');
    } catch (abortError) {
      // Even telling the client failed: cut the socket and give the session back.
      this.logQuietly(abortError, 'stream session failed closing');
      this.state = 'closed';
      this.releaseQuietly('server_error');
      this.socket.terminate();
      this.resolveClosed();
    }
  }

  /** Runs a listener's or a timer's work; a throw ends this session, not the process. */
  private guard(work: () => void): void {
    try {
      work();
    } catch (error) {
      this.fail(error);
    }
  }

  private logQuietly(error: unknown, message: string): void {
    try {
      this.ctx.logger.error({ err: error, session: this.id }, message);
    } catch {
      // Logging cannot be allowed to take the process down either.
    }
  }

  private async close(code: number, reason: CloseReason): Promise<void> {
    if (this.state === 'closed') return;
    try {
      // Sent while the state still allows it; then nothing more goes out.
      this.sendClosing(reason);
    } catch (error) {
      this.logQuietly(error, 'stream session failed closing');
    }
    this.state = 'closed';
    this.releaseQuietly(reason);
    try {
      if (this.socket.readyState === this.socket.OPEN) {
        // The client's half of the closing handshake must be read.
        this.socket.resume();
        this.socket.close(code, reason);
        const cut = setTimeout(() => this.socket.terminate(), CLOSE_HANDSHAKE_MS);
        await new Promise<void>((resolve) => this.socket.once('close', () => resolve()));
        clearTimeout(cut);
      }
    } catch (error) {
      this.logQuietly(error, 'stream session failed closing');
      this.socket.terminate();
    } finally {
      // The service frees the slot on this: it must happen whatever failed above.
      this.resolveClosed();
    }
  }

  private sendClosing(reason: CloseReason): void {
    this.sendNow({ type: 'session.closed', reason, stats: this.roundedStats() });
  }

  /** Sends without the pending check: for the last words of a session. */
  private sendNow(event: ServerEvent): void {
    this.recorder?.writeEvent(event);
    if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(event));
  }

  /** The client went away without a close message: stop everything, send nothing. */
  private onSocketClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    try {
      this.utterance?.cancel();
    } catch (error) {
      this.logQuietly(error, 'stream utterance not cancelled');
    }
    this.utterance = undefined;
    this.releaseQuietly('client_disconnected');
    this.resolveClosed();
  }

  private releaseQuietly(reason: CloseReason): void {
    try {
      this.release(reason);
    } catch (error) {
      this.logQuietly(error, 'stream session failed releasing');
    }
  }

  /** Gives back what the session holds; the stats come last, so a failure there cannot keep the rest. */
  private release(reason: CloseReason): void {
    if (this.released) return;
    this.released = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.sessionTimer);
    this.inbox.length = 0;
    // The VAD state goes back once no frame of this stream is in the batcher.
    void Promise.resolve(this.draining)
      .then(() => this.vad.release())
      .catch((error: unknown) => this.logQuietly(error, 'stream VAD state not released'));
    this.recorder
      ?.close()
      .catch((error: Error) => this.ctx.logger.warn(`stream recording not finished: ${error.message}`));
    this.ctx.stats.closed(this.id, reason);
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(
      () => this.guard(() => void this.end(CLOSE.idle, 'idle_timeout')),
      this.ctx.limits.idleTimeoutS * 1000,
    );
  }

  private roundedStats(): SessionStats {
    return { ...this.stats, audio_seconds: roundSeconds(this.stats.audio_seconds) };
  }
}
