import type { SegmenterSettingsMs } from '@asr/vad';
import type { FrameAction, Framing, FramingClose, FramingEventContext, FramingPipeline, WireMessage } from './framing';
import { nativeEvent } from './native-events';
import type { PipelineEvent } from './pipeline-events';
import { type CloseReason, parseClientMessage, type ServerEvent, type SessionStats } from './protocol';
import { describeSettings, parseConfigure, type StreamLimits, type StreamSettings } from './stream-params';

/** The native protocol at /api/v1/stream (docs/asyncapi.yaml): binary PCM in, JSON control and events. */
export class NativeFraming implements Framing {
  constructor(
    private current: StreamSettings,
    private readonly limits: StreamLimits,
    /** The VAD settings a stream's overrides come to (what `session.started` reports). */
    private readonly effectiveVad: (overrides: StreamSettings['vad']) => SegmenterSettingsMs,
  ) {}

  get settings(): StreamSettings {
    return this.current;
  }

  opening(sessionId: string): readonly WireMessage[] {
    return [
      message({
        type: 'session.started',
        session_id: sessionId,
        config: describeSettings(this.current, this.effectiveVad(this.current.vad)),
      }),
    ];
  }

  frame(data: Buffer, isBinary: boolean): readonly FrameAction[] {
    if (isBinary) return [{ kind: 'audio', data }];
    const parsed = parseClientMessage(data.toString('utf8'));
    if (!parsed.ok) return [reply(error('invalid_message', parsed.reason))];
    const { message: client } = parsed;
    switch (client.type) {
      case 'keepalive':
        return [{ kind: 'keepalive' }];
      case 'close':
        return [{ kind: 'end' }];
      case 'finalize':
        return [{ kind: 'queued', run: (pipeline) => pipeline.command({ type: 'finalize' }).then(() => []) }];
      case 'configure':
        return [{ kind: 'queued', run: (pipeline) => this.configure(pipeline, client) }];
    }
  }

  event(event: Exclude<PipelineEvent, { type: 'failed' }>, context: FramingEventContext): readonly WireMessage[] {
    if (event.type === 'partial' && !context.previewsAllowed) return [];
    const native = nativeEvent(event);
    return native ? [message(native)] : [];
  }

  fatal(reason: CloseReason, text: string, retryAfterS?: number): readonly WireMessage[] {
    return [
      message({
        type: 'error',
        code: reason,
        message: text,
        fatal: true,
        ...(retryAfterS !== undefined && { retry_after: retryAfterS }),
      }),
    ];
  }

  closing(reason: CloseReason, stats: SessionStats): readonly WireMessage[] {
    return [message({ type: 'session.closed', reason, stats })];
  }

  close(reason: CloseReason, code: number): FramingClose {
    return { code, reason };
  }

  /** Checked against the settings in force when it is reached, not when it arrived. */
  private async configure(pipeline: FramingPipeline, client: Record<string, unknown>): Promise<readonly WireMessage[]> {
    const result = parseConfigure(client, this.current, this.limits);
    if (!result.ok) return [error('invalid_configure', result.reason)];
    this.current = result.value;
    await pipeline.command({ type: 'configure', settings: this.current });
    return [];
  }
}

/** Typed here, sent as JSON. */
function message(event: ServerEvent): WireMessage {
  return event;
}

/** A non-fatal error: the client sent something wrong; the stream goes on. */
function error(code: string, text: string): WireMessage {
  return message({ type: 'error', code, message: text, fatal: false });
}

function reply(...messages: WireMessage[]): FrameAction {
  return { kind: 'reply', messages };
}
