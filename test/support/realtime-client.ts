import { setTimeout as sleep } from 'node:timers/promises';
import type OpenAI from 'openai';
import { OpenAIRealtimeWS } from 'openai/realtime/ws';
import { waitFor } from './wait';

/** A Realtime server event as the SDK emits it. */
export type RealtimeServerEvent = Record<string, unknown> & { type: string; event_id: string };

export interface CapturedEvent {
  event: RealtimeServerEvent;
  /** performance.now() when the SDK emitted it. */
  at: number;
}

/** One item's story, from the events of its session. */
export interface RealtimeItem {
  itemId: string;
  transcript: string | undefined;
  deltas: CapturedEvent[];
  done: CapturedEvent;
  /** From speech_started to speech_stopped (server VAD only). */
  durationMs: number | undefined;
  logprobs: unknown;
}

/**
 * A Realtime transcription session through the official SDK (`OpenAIRealtimeWS`, intent transcription), trusting
 * `ca` (the SDK always connects with wss:), every server event captured with the time it came.
 */
export class RealtimeSession {
  readonly captured: CapturedEvent[] = [];
  readonly errors: string[] = [];
  readonly rt: OpenAIRealtimeWS;
  private readonly closed: Promise<number>;

  constructor(client: OpenAI, ca: Buffer) {
    this.rt = new OpenAIRealtimeWS({ intent: 'transcription', options: { ca } }, client);
    this.rt.on('event', (event) =>
      this.captured.push({ event: event as unknown as RealtimeServerEvent, at: performance.now() }),
    );
    this.rt.on('error', (error) => this.errors.push(error.message));
    this.closed = new Promise((resolve) => this.rt.socket.once('close', (code) => resolve(code)));
  }

  ofType(type: string): CapturedEvent[] {
    return this.captured.filter((c) => c.event.type === type);
  }

  async opened(): Promise<void> {
    await waitFor(() => this.ofType('session.created').length === 1, { what: 'session.created' });
  }

  /** Sends a raw event, for what the SDK's types do not have (this server's extensions, the beta API). */
  sendRaw(event: unknown): void {
    this.rt.socket.send(JSON.stringify(event));
  }

  /** Appends `audio` in 100 ms events at `pace` × real time. */
  async append(audio: Buffer, format: { bytesPerSecond: number }, pace: number): Promise<void> {
    const step = format.bytesPerSecond / 10;
    const started = performance.now();
    for (let at = 0; at < audio.length; at += step) {
      this.rt.send({ type: 'input_audio_buffer.append', audio: audio.subarray(at, at + step).toString('base64') });
      const due = ((at + step) / format.bytesPerSecond / pace) * 1000 - (performance.now() - started);
      if (due > 0) await sleep(due);
    }
  }

  /** Server VAD: every utterance started has been committed and transcribed, and nothing came for a second. */
  async settled(): Promise<void> {
    await waitFor(
      () => {
        const started = this.ofType('input_audio_buffer.speech_started').length;
        const committed = this.ofType('input_audio_buffer.committed').length;
        const last = this.captured[this.captured.length - 1]!.at;
        return started === committed && this.done().length === committed && performance.now() - last > 1000;
      },
      { what: 'every utterance transcribed', timeoutMs: 120_000, everyMs: 100 },
    );
  }

  /** Each item's transcription outcome (`completed` or `failed`), in the order they came. */
  done(): CapturedEvent[] {
    return this.captured.filter((c) => /input_audio_transcription\.(completed|failed)$/.test(c.event.type));
  }

  async close(): Promise<number> {
    this.rt.close();
    return this.closed;
  }

  items(): RealtimeItem[] {
    const started = new Map(this.ofType('input_audio_buffer.speech_started').map((c) => [c.event.item_id, c.event]));
    const stopped = new Map(this.ofType('input_audio_buffer.speech_stopped').map((c) => [c.event.item_id, c.event]));
    return this.done().map((done) => {
      const itemId = done.event.item_id as string;
      const start = started.get(itemId)?.audio_start_ms as number | undefined;
      const end = stopped.get(itemId)?.audio_end_ms as number | undefined;
      return {
        itemId,
        transcript: done.event.transcript as string | undefined,
        deltas: this.ofType('conversation.item.input_audio_transcription.delta').filter(
          (d) => d.event.item_id === itemId,
        ),
        done,
        durationMs: start !== undefined && end !== undefined ? end - start : undefined,
        logprobs: done.event.logprobs,
      };
    });
  }
}
