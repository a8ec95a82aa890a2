import { randomUUID } from 'node:crypto';
import type { Logger } from '@nestjs/common';
import type { WebSocket } from 'ws';
import type { AsrProvider } from '@asr/asr';
import { roundSeconds, TARGET_SAMPLE_RATE } from '@asr/audio';
import type { AppConfig } from '@asr/config';
import type { VadService } from '@asr/vad';
import type { FrameAction, Framing, FramingPipeline, WireMessage } from './framing';
import { CLOSE, emptySessionStats, type CloseReason, type SessionStats } from './protocol';
import type { SessionRecorder } from './session-recorder';
import type { StreamingStats } from './streaming-stats';
import type { FinalTranscript, PipelineEvent } from './pipeline-events';
import { MAX_BACKLOG_S, MAX_QUEUED_ITEMS, PacedInbox } from './paced-inbox';
import { StreamPipeline } from './stream-pipeline';

export interface SessionContext {
  provider: AsrProvider;
  vad: VadService;
  stats: StreamingStats;
  limits: AppConfig['streaming'];
  logger: Logger;
  /** STREAM_RECORD: a recorder for a session, by its id. */
  record?: (sessionId: string) => SessionRecorder;
}

/** What waits in the inbox behind the audio sent before it. */
type InboxItem =
  | { kind: 'queued'; run: (pipeline: FramingPipeline) => Promise<readonly WireMessage[]> }
  | { kind: 'end'; code: number; reason: CloseReason };

/** How long a closing handshake may take before the socket is cut. */
const CLOSE_HANDSHAKE_MS = 2000;

/**
 * The transport of one live WebSocket client, the same for every protocol: the socket, its limits, pacing and
 * backpressure, the idle and session timers, the close handshake, stats and recording. What the audio becomes (VAD,
 * utterances, ordered finals) is the StreamPipeline's; what the frames and messages look like is the Framing's.
 * Everything the client sends goes through one queue, in order, so the pacing that holds audio back also holds back
 * the messages sent after it.
 */
export class StreamSession {
  readonly id = randomUUID();
  private readonly pipeline: StreamPipeline;
  private readonly stats = emptySessionStats();
  private readonly inbox: PacedInbox<InboxItem>;
  private state: 'open' | 'ending' | 'closed' = 'open';
  private idleTimer: NodeJS.Timeout | undefined;
  /** When the client last sent audio or a keepalive (performance.now()): the idle timer looks at it when it fires. */
  private lastHeardMs = 0;
  private sessionTimer: NodeJS.Timeout | undefined;
  private released = false;
  private readonly recorder: SessionRecorder | undefined;
  private resolveClosed!: () => void;
  /** Resolves when the session is over and its socket closed (or cut). */
  readonly closed = new Promise<void>((resolve) => (this.resolveClosed = resolve));

  constructor(
    private readonly socket: WebSocket,
    private readonly framing: Framing,
    private readonly ctx: SessionContext,
  ) {
    this.recorder = ctx.record?.(this.id);
    this.inbox = new PacedInbox<InboxItem>({
      maxRate: ctx.limits.maxRate,
      onAudio: (data) => this.pipeline.push(data),
      onItem: (item) => this.process(item),
      pause: () => this.holdBack(),
      resume: () => this.readAgain(),
      overflow: () =>
        this.abort(
          CLOSE.policy,
          'too_fast',
          `more than ${MAX_BACKLOG_S} s of audio or ${MAX_QUEUED_ITEMS} messages are waiting to be processed; send at most ${ctx.limits.maxRate}× real time and wait for answers`,
        ),
      failed: (error) => this.fail(error),
    });
    const settings = framing.settings;
    this.pipeline = new StreamPipeline({
      format: settings.format,
      settings,
      provider: ctx.provider,
      vad: ctx.vad,
      lookbackSamples: Math.round(ctx.limits.lookbackDurationS * TARGET_SAMPLE_RATE),
      partialEverySamples: Math.round(ctx.limits.chunkDurationS * TARGET_SAMPLE_RATE),
      emit: (event) => this.onPipelineEvent(event),
      tapAudio: (samples) => this.recorder?.writeAudio(samples),
      report: (error, what) => this.logQuietly(error, what),
    });
  }

  start(): void {
    // A throw in a socket listener would reach the event loop and end the process: every listener is guarded.
    this.socket.on('message', (data: Buffer, isBinary: boolean) => this.guard(() => this.receive(data, isBinary)));
    this.socket.on('close', () => this.onSocketClosed());
    // An error is followed by 'close'; the adapter logs it.
    this.socket.on('error', () => undefined);
    this.guard(() => {
      this.ctx.stats.opened(this.id, this.stats);
      this.sendAll(this.framing.opening(this.id));
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
      this.disarmIdleTimer();
      this.inbox.push({ kind: 'end', code, reason });
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
    for (const action of this.framing.frame(data, isBinary)) {
      if (this.state !== 'open') return;
      this.act(action);
    }
  }

  private act(action: FrameAction): void {
    switch (action.kind) {
      case 'audio': {
        this.armIdleTimer();
        const audioSeconds = this.pipeline.secondsIn(action.data.length);
        this.stats.audio_seconds += audioSeconds;
        this.ctx.stats.audio(audioSeconds);
        this.inbox.audio(action.data, audioSeconds);
        return;
      }
      case 'queued':
        this.inbox.push({ kind: 'queued', run: action.run });
        return;
      case 'reply':
        this.sendAll(action.messages);
        return;
      case 'reformat':
        this.pipeline.reformat(action.format);
        return;
      case 'keepalive':
        this.armIdleTimer();
        return;
      case 'end':
        void this.end(CLOSE.normal, 'client_closed');
        return;
      case 'none':
        return;
    }
  }

  /** The inbox holds too much: the client's audio waits in its socket, which is not idleness. */
  private holdBack(): void {
    this.socket.pause();
    this.disarmIdleTimer();
  }

  private readAgain(): void {
    if (this.state !== 'open') return;
    this.socket.resume();
    this.armIdleTimer();
  }

  private async process(item: InboxItem): Promise<void> {
    if (item.kind === 'end') await this.finish(item.code, item.reason);
    else this.sendAll(await item.run(this.pipeline));
  }

  // --- what the pipeline says

  private onPipelineEvent(event: PipelineEvent): void {
    if (this.state === 'closed') return;
    if (event.type === 'failed') {
      this.fail(event.error);
      return;
    }
    // A slow reader loses previews first; finals are never dropped.
    const previewsAllowed = this.socket.bufferedAmount <= this.ctx.limits.maxPendingBytes / 2;
    if (event.type === 'speech-started') {
      this.stats.utterances += 1;
      this.ctx.stats.utterance();
    } else if (event.type === 'partial') {
      this.countPartial(previewsAllowed);
    } else if (event.type === 'final') {
      this.countFinal(event);
    }
    const messages = this.framing.event(event, { previewsAllowed });
    // Previews are left out of the recording: its transcript is what the client was told for good.
    this.sendAll(messages, { record: event.type !== 'partial' });
  }

  private countPartial(sent: boolean): void {
    if (!sent) {
      this.stats.partials_skipped += 1;
      return;
    }
    this.stats.partials += 1;
    this.ctx.stats.partial();
  }

  private countFinal(event: FinalTranscript): void {
    this.stats.finals += 1;
    if (event.error) this.stats.errors += 1;
    this.ctx.stats.final(event.latencyS, event.error !== undefined);
  }

  // --- sending and closing

  private sendAll(messages: readonly WireMessage[], { record = true } = {}): void {
    for (const message of messages) this.send(message, record);
  }

  private send(message: WireMessage, record: boolean): void {
    if (this.state === 'closed') return;
    if (record) this.recorder?.writeEvent(message);
    if (this.socket.readyState !== this.socket.OPEN) return;
    if (this.socket.bufferedAmount > this.ctx.limits.maxPendingBytes) {
      this.abort(
        CLOSE.policy,
        'slow_reader',
        `more than STREAM_MAX_PENDING_BYTES=${this.ctx.limits.maxPendingBytes} bytes of messages are waiting for this client to read them`,
      );
      return;
    }
    this.socket.send(JSON.stringify(message));
  }

  /** The graceful end, run in order with what the client sent before it. */
  private async finish(code: number, reason: CloseReason): Promise<void> {
    await this.pipeline.finish();
    await this.close(code, reason);
  }

  /** An immediate end (a limit was broken): no more finals (closing releases the pipeline before anything more). */
  private abort(code: number, reason: CloseReason, message: string): void {
    if (this.state === 'closed') return;
    // Past the pending limit too: the client is told why (after what it has not read yet) and closed.
    this.sendNow(this.framing.fatal(reason, message));
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
        const frame = this.framing.close(reason, code);
        this.socket.close(frame.code, frame.reason);
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
    this.sendNow(this.framing.closing(reason, this.roundedStats()));
  }

  /** Sends without the pending check: for the last words of a session. */
  private sendNow(messages: readonly WireMessage[]): void {
    for (const message of messages) {
      this.recorder?.writeEvent(message);
      if (this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(message));
    }
  }

  /** The client went away without a close message: stop everything, send nothing. */
  private onSocketClosed(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
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
    this.disarmIdleTimer();
    clearTimeout(this.sessionTimer);
    this.inbox.stop();
    // The utterance in progress is dropped; the VAD state goes back once no frame of this stream is in the batcher.
    void this.pipeline.command({ type: 'close' });
    this.recorder
      ?.close()
      .catch((error: Error) => this.ctx.logger.warn(`stream recording not finished: ${error.message}`));
    this.ctx.stats.closed(this.id, reason);
  }

  /**
   * The client was heard from. Called for every frame, so it only notes the time: the one timer, when it fires,
   * ends the session if nothing was heard for the idle timeout, or waits the rest of it.
   */
  private armIdleTimer(): void {
    this.lastHeardMs = performance.now();
    this.idleTimer ??= this.idleTimerIn(this.ctx.limits.idleTimeoutS * 1000);
  }

  private idleTimerIn(ms: number): NodeJS.Timeout {
    return setTimeout(
      () =>
        this.guard(() => {
          const limitMs = this.ctx.limits.idleTimeoutS * 1000;
          const quietMs = performance.now() - this.lastHeardMs;
          this.idleTimer = quietMs >= limitMs ? undefined : this.idleTimerIn(limitMs - quietMs);
          if (!this.idleTimer) void this.end(CLOSE.idle, 'idle_timeout');
        }),
      ms,
    );
  }

  private disarmIdleTimer(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private roundedStats(): SessionStats {
    return { ...this.stats, audio_seconds: roundSeconds(this.stats.audio_seconds) };
  }
}
