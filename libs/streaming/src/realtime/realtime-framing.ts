import { bytesPerFrame } from '@asr/audio';
import type { SegmenterSettingsMs } from '@asr/vad';
import type { FrameAction, Framing, FramingClose, FramingEventContext, FramingPipeline, WireMessage } from '../framing';
import type { FinalTranscript, PipelineEvent } from '../pipeline-events';
import type { CloseReason } from '../protocol';
import type { PipelineSettings } from '../stream-pipeline';
import type { StreamSettings } from '../stream-params';
import { parseClientEvent, type RealtimeClientEvent } from './realtime-events';
import { logprobsOf, milliseconds, RealtimeMessages } from './realtime-messages';
import {
  applyChange,
  describeLegacySession,
  describeSession,
  pcmFormatOf,
  type RealtimeLimits,
  type RealtimeSessionConfig,
  sameFormat,
  vadOverridesOf,
} from './realtime-session';
import { normalizeTranscript } from '../stable-prefix';

/** OpenAI refuses to commit less than 100 ms of audio (`input_audio_buffer_commit_empty`). */
const MIN_COMMIT_S = 0.1;

export interface RealtimeFramingOptions {
  /** The configuration the session opens with (the server's defaults, with an ephemeral key's preset). */
  config: RealtimeSessionConfig;
  limits: RealtimeLimits;
  /** The VAD settings a session's overrides come to (what session.updated reports). */
  effectiveVad: (overrides: Partial<SegmenterSettingsMs>) => SegmenterSettingsMs;
  /** The model that transcribes: the provider's. */
  model: string;
  /** STREAM_MAX_SESSION_S, for `expires_at`. */
  maxSessionS: number;
}

/** One utterance as an OpenAI item: its id and the deltas sent of it. */
interface Item {
  id: string;
  /** The deltas sent so far, concatenated: a stable prefix of the utterance's words. */
  sent: string;
}

/** Committed, its transcription not yet sent: an utterance's (by segment), or a commit that held no speech. */
type Awaiting = { itemId: string; segmentId: number } | { itemId: string; emptySeconds: number };

/**
 * OpenAI's Realtime API, transcription sessions (`/v1/realtime?intent=transcription`, docs/asyncapi-realtime.yaml):
 * JSON events both ways, audio as base64 in `input_audio_buffer.append`. Each utterance the pipeline finds is an
 * item: `speech_started` / `speech_stopped` (server VAD only), `committed`, live `delta`s of its stable prefix, then
 * exactly one `completed` (or `failed`), in order. With `turn_detection: null` only a commit ends an utterance.
 */
export class RealtimeFraming implements Framing {
  readonly settings: StreamSettings;
  private readonly messages = new RealtimeMessages();
  private sessionId = '';
  private expiresAt = 0;
  /** As the client's events have asked, in the order they arrived (a second update builds on the first). */
  private requested: RealtimeSessionConfig;
  /** As applied to the pipeline, in order with the audio (what events are shaped by). */
  private config: RealtimeSessionConfig;
  private audioSent = false;
  /** Seconds of audio appended so far, in arrival order: where a commit or clear falls on the session's clock. */
  private appendedS = 0;
  /** Where the audio not yet committed (OpenAI's input buffer) begins, on the session's clock. */
  private bufferStartS = 0;
  private readonly items = new Map<number, Item>();
  /** The segment whose speech has started and not yet stopped. */
  private open: number | undefined;
  private previousItemId: string | null = null;
  private readonly awaiting: Awaiting[] = [];
  private fatalSaid = false;

  constructor(private readonly options: RealtimeFramingOptions) {
    this.requested = options.config;
    this.config = options.config;
    this.settings = { format: pcmFormatOf(options.config.format), ...pipelineSettings(options.config) };
  }

  opening(sessionId: string): readonly WireMessage[] {
    this.sessionId = `sess_${sessionId.replace(/-/g, '')}`;
    this.expiresAt = Math.floor(Date.now() / 1000 + this.options.maxSessionS);
    return [this.messages.event('session.created', { session: this.describe(this.config, describeSession) })];
  }

  frame(data: Buffer, isBinary: boolean): readonly FrameAction[] {
    if (isBinary)
      return [
        this.reply(
          this.messages.problem(
            {
              code: 'invalid_type',
              message: 'binary frames are not events: send audio as base64 in input_audio_buffer.append text events',
            },
            undefined,
          ),
        ),
      ];
    const parsed = parseClientEvent(data, this.options.limits);
    if (!parsed.ok) return [this.reply(this.messages.problem(parsed.problem, parsed.eventId))];
    return this.act(parsed.event);
  }

  event(event: Exclude<PipelineEvent, { type: 'failed' }>, context: FramingEventContext): readonly WireMessage[] {
    switch (event.type) {
      case 'speech-started':
        return this.speechStarted(event.segmentId, event.start);
      case 'speech-stopped':
        return this.speechStopped(event.segmentId, event.end);
      case 'speech-discarded':
        this.items.delete(event.segmentId);
        this.open = undefined;
        return [];
      case 'partial': {
        const item = this.items.get(event.segmentId);
        // A slow reader gets no delta now; what it missed comes with a later one (the stable text only grows).
        if (!item || !context.previewsAllowed || event.stable.length <= item.sent.length) return [];
        const delta = event.stable.slice(item.sent.length);
        item.sent = event.stable;
        // Live hypotheses carry no confidences: only the final's words have log probabilities.
        return [this.messages.delta(item.id, delta, this.config.logprobs ? null : undefined)];
      }
      case 'final':
        return this.final(event);
    }
  }

  fatal(reason: CloseReason, message: string, retryAfterS?: number): readonly WireMessage[] {
    this.fatalSaid = true;
    const retry = retryAfterS === undefined || message.includes('retry') ? '' : `; retry after ${retryAfterS} s`;
    return [this.messages.fatal(reason, `${message}${retry}`)];
  }

  /** OpenAI's protocol has no closing event: a graceful end the client did not ask for is said as an error. */
  closing(reason: CloseReason): readonly WireMessage[] {
    const ended = this.fatalSaid ? undefined : this.messages.ended(reason);
    return ended ? [ended] : [];
  }

  close(reason: CloseReason, code: number): FramingClose {
    return { code, reason };
  }

  // --- client events

  private act(event: RealtimeClientEvent): FrameAction[] {
    switch (event.type) {
      case 'input_audio_buffer.append': {
        if (event.audio.length === 0) return [{ kind: 'keepalive' }];
        this.audioSent = true;
        const format = pcmFormatOf(this.requested.format);
        this.appendedS += event.audio.length / bytesPerFrame(format) / format.sampleRate;
        return [{ kind: 'audio', data: event.audio }];
      }
      case 'input_audio_buffer.commit': {
        const at = this.appendedS;
        return [{ kind: 'keepalive' }, { kind: 'queued', run: (pipeline) => this.commit(pipeline, at, event.eventId) }];
      }
      case 'input_audio_buffer.clear': {
        const at = this.appendedS;
        return [{ kind: 'keepalive' }, { kind: 'queued', run: (pipeline) => this.clear(pipeline, at) }];
      }
      case 'session.update':
      case 'transcription_session.update':
        return this.update(event);
    }
  }

  private update(event: Extract<RealtimeClientEvent, { change: unknown }>): FrameAction[] {
    const next = applyChange(this.requested, event.change);
    const actions: FrameAction[] = [{ kind: 'keepalive' }];
    if (!sameFormat(next.format, this.requested.format)) {
      if (this.audioSent)
        return [
          this.reply(
            this.messages.problem(
              {
                code: 'invalid_value',
                param: event.type === 'session.update' ? 'session.audio.input.format' : 'session.input_audio_format',
                message:
                  'the audio format cannot change once audio has been appended: set it in the first session.update, or open a new session (nothing of this update was applied)',
              },
              event.eventId,
            ),
          ),
        ];
      actions.push({ kind: 'reformat', format: pcmFormatOf(next.format) });
    }
    this.requested = next;
    const legacy = event.type === 'transcription_session.update';
    actions.push({
      kind: 'queued',
      run: async (pipeline) => {
        this.config = next;
        await pipeline.command({ type: 'configure', settings: pipelineSettings(next) });
        return legacy
          ? [
              this.messages.event('transcription_session.updated', {
                session: this.describe(next, describeLegacySession),
              }),
            ]
          : [this.messages.event('session.updated', { session: this.describe(next, describeSession) })];
      },
    });
    return actions;
  }

  /**
   * Ends the utterance in progress at this point of the audio (its `committed` goes out with its speech-stopped).
   * With no utterance open the VAD heard no speech since the last commit: the buffer is committed as an item of
   * its own whose transcript is empty, without asking the engine (unless it is under 100 ms, which OpenAI refuses).
   */
  private async commit(pipeline: FramingPipeline, at: number, eventId: string | undefined): Promise<WireMessage[]> {
    const wasOpen = this.open !== undefined;
    await pipeline.command({ type: 'finalize' });
    if (wasOpen && this.open === undefined) return [];
    const seconds = at - this.bufferStartS;
    if (seconds < MIN_COMMIT_S)
      return [
        this.messages.problem(
          {
            code: 'input_audio_buffer_commit_empty',
            message: `the input audio buffer holds ${milliseconds(Math.max(0, seconds))} ms since the last commit; commit at least ${milliseconds(MIN_COMMIT_S)} ms`,
          },
          eventId,
        ),
      ];
    this.bufferStartS = at;
    const itemId = this.messages.newItemId();
    const committed = this.committed(itemId);
    if (this.awaiting.length > 0) {
      // Its (empty) transcription waits for those committed before it.
      this.awaiting.push({ itemId, emptySeconds: seconds });
      return [committed];
    }
    return [committed, this.emptyCompleted(itemId, seconds)];
  }

  private async clear(pipeline: FramingPipeline, at: number): Promise<WireMessage[]> {
    await pipeline.command({ type: 'discard' });
    this.bufferStartS = at;
    return [this.messages.event('input_audio_buffer.cleared')];
  }

  // --- pipeline events

  private get serverVad(): boolean {
    return this.config.turnDetection !== null;
  }

  private speechStarted(segmentId: number, start: number): WireMessage[] {
    const item: Item = { id: this.messages.newItemId(), sent: '' };
    this.items.set(segmentId, item);
    this.open = segmentId;
    // Without turn detection OpenAI says nothing of speech; the item shows at its commit.
    if (!this.serverVad) return [];
    return [
      this.messages.event('input_audio_buffer.speech_started', {
        audio_start_ms: milliseconds(start),
        item_id: item.id,
      }),
    ];
  }

  private speechStopped(segmentId: number, end: number): WireMessage[] {
    this.open = undefined;
    this.bufferStartS = end;
    const item = this.items.get(segmentId);
    if (!item) return [];
    this.awaiting.push({ itemId: item.id, segmentId });
    const stopped = this.serverVad
      ? [
          this.messages.event('input_audio_buffer.speech_stopped', {
            audio_end_ms: milliseconds(end),
            item_id: item.id,
          }),
        ]
      : [];
    return [...stopped, this.committed(item.id)];
  }

  private committed(itemId: string): WireMessage {
    const previous = this.previousItemId;
    this.previousItemId = itemId;
    return this.messages.event('input_audio_buffer.committed', { item_id: itemId, previous_item_id: previous });
  }

  /** This utterance's transcription, after any empty commits ahead of it and before those behind it. */
  private final(event: FinalTranscript): WireMessage[] {
    const item = this.items.get(event.segmentId);
    this.items.delete(event.segmentId);
    const out: WireMessage[] = [];
    let head = this.awaiting[0];
    while (head && 'emptySeconds' in head) {
      out.push(this.emptyCompleted(head.itemId, head.emptySeconds));
      this.awaiting.shift();
      head = this.awaiting[0];
    }
    if (head?.segmentId === event.segmentId) this.awaiting.shift();
    if (item) out.push(...this.transcription(item, event));
    for (head = this.awaiting[0]; head && 'emptySeconds' in head; head = this.awaiting[0]) {
      out.push(this.emptyCompleted(head.itemId, head.emptySeconds));
      this.awaiting.shift();
    }
    return out;
  }

  private transcription(item: Item, event: FinalTranscript): WireMessage[] {
    if (event.error) return [this.messages.failed(item.id, event.error)];
    const transcript = normalizeTranscript(event.text);
    const words = event.words ?? [];
    const logprobs = this.config.logprobs ? logprobsOf(words, true) : undefined;
    const out: WireMessage[] = [];
    // The pipeline holds every final to its stable prefix, so the final begins with what the deltas sent.
    const rest = beginsWith(transcript, item.sent) ? transcript.slice(item.sent.length) : '';
    if (rest !== '') {
      const sentWords = item.sent === '' ? 0 : item.sent.split(' ').length;
      // The rest's words carry their log probabilities when the words are the transcript's, one for one.
      const aligned = words.map((w) => w.word).join(' ') === transcript;
      const restLogprobs = !this.config.logprobs
        ? undefined
        : aligned
          ? logprobsOf(words.slice(sentWords), sentWords === 0)
          : null;
      out.push(this.messages.delta(item.id, rest, restLogprobs));
    }
    out.push(this.messages.completed(item.id, transcript, event.end - event.start, logprobs));
    return out;
  }

  private emptyCompleted(itemId: string, seconds: number): WireMessage {
    return this.messages.completed(itemId, '', seconds, this.config.logprobs ? [] : undefined);
  }

  // --- helpers

  private describe(
    config: RealtimeSessionConfig,
    shape: typeof describeSession | typeof describeLegacySession,
  ): Record<string, unknown> {
    return shape(config, {
      id: this.sessionId,
      expiresAt: this.expiresAt,
      model: this.options.model,
      vad: this.options.effectiveVad(vadOverridesOf(config)),
    });
  }

  private reply(message: WireMessage): FrameAction {
    return { kind: 'reply', messages: [message] };
  }
}

function pipelineSettings(config: RealtimeSessionConfig): PipelineSettings {
  const { language, prompt } = config.transcription;
  return { language, ...(prompt !== undefined && { prompt }), interimResults: true, vad: vadOverridesOf(config) };
}

/** Whether `text` begins with the words `prefix` (whole words: `a b` does not begin `a bc`). */
function beginsWith(text: string, prefix: string): boolean {
  return prefix === '' || text === prefix || text.startsWith(`${prefix} `);
}
