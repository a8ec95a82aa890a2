import type { SegmenterSettingsMs } from '@asr/vad';
import { serverMessageValidator } from '../../../../test/support/asyncapi';
import type { FrameAction, FramingPipeline, WireMessage } from '../framing';
import type { FinalTranscript, PipelineEvent } from '../pipeline-events';
import type { PipelineCommand } from '../stream-pipeline';
import { RealtimeFraming } from './realtime-framing';
import { DEFAULT_SESSION, MANUAL_COMMIT_SILENCE_MS, type RealtimeSessionConfig } from './realtime-session';

/** The Realtime framing alone: client frames in, pipeline events in, OpenAI's server events out (no socket). */

/** Every event any test here sees must be one docs/asyncapi-realtime.yaml describes. */
const validate = serverMessageValidator('asyncapi-realtime.yaml');

const SERVER_VAD: SegmenterSettingsMs = {
  threshold: 0.5,
  negThreshold: 0.35,
  minSilenceMs: 300,
  minSpeechMs: 250,
  speechPadMs: 400,
  maxSpeechS: 30,
};

type Message = Record<string, unknown> & { type: string; event_id: string };

function framingWith(config: RealtimeSessionConfig = DEFAULT_SESSION): RealtimeFraming {
  return new RealtimeFraming({
    config,
    limits: { maxSpeechPadMs: 1000 },
    effectiveVad: (overrides) => ({ ...SERVER_VAD, ...overrides }),
    model: 'local-model',
    maxSessionS: 3600,
  });
}

/**
 * What the session would do: runs a frame's actions (queued work through `pipeline`), collecting what the client
 * is sent and the commands the pipeline got. `onCommand` plays the pipeline's answer (its events) to a command.
 */
class Harness {
  readonly sent: Message[] = [];
  readonly commands: PipelineCommand[] = [];
  readonly actions: FrameAction[] = [];
  onCommand: (command: PipelineCommand) => void = () => undefined;
  private readonly pipeline: FramingPipeline = {
    command: (command) => {
      this.commands.push(command);
      this.onCommand(command);
      return Promise.resolve();
    },
  };

  constructor(readonly framing: RealtimeFraming = framingWith()) {
    this.record(framing.opening('0f8e2c1b-4d6a-4e0f-9b7c-3a2d1e5f6a7b'));
  }

  async send(event: unknown): Promise<void> {
    const text = typeof event === 'string' ? event : JSON.stringify(event);
    await this.act(this.framing.frame(Buffer.from(text), false));
  }

  async act(actions: readonly FrameAction[]): Promise<void> {
    for (const action of actions) {
      this.actions.push(action);
      if (action.kind === 'reply') this.record(action.messages);
      if (action.kind === 'queued') this.record(await action.run(this.pipeline));
    }
  }

  pipelineSays(event: Exclude<PipelineEvent, { type: 'failed' }>, previewsAllowed = true): void {
    this.record(this.framing.event(event, { previewsAllowed }));
  }

  ofType(type: string): Message[] {
    return this.sent.filter((m) => m.type === type);
  }

  get types(): string[] {
    return this.sent.map((m) => m.type);
  }

  /** Every delta of an item, concatenated as a client appends them. */
  deltasOf(itemId: string): string {
    return this.ofType('conversation.item.input_audio_transcription.delta')
      .filter((m) => m.item_id === itemId)
      .map((m) => m.delta as string)
      .join('');
  }

  private record(messages: readonly WireMessage[]): void {
    for (const message of messages) expect([message.type, validate(message)]).toEqual([message.type, undefined]);
    this.sent.push(...(messages as Message[]));
  }
}

const append = (bytes: number): unknown => ({
  type: 'input_audio_buffer.append',
  audio: Buffer.alloc(bytes).toString('base64'),
});

function final(segmentId: number, text: string, extra: Partial<FinalTranscript> = {}): FinalTranscript {
  return { type: 'final', segmentId, text, start: 1, end: 3.5, endedBy: 'vad', latencyS: 0.1, ...extra };
}

describe('RealtimeFraming', () => {
  it('opens with session.created: the effective transcription session, every field OpenAI types', () => {
    const h = new Harness();
    expect(h.sent).toEqual([
      {
        type: 'session.created',
        event_id: expect.stringMatching(/^event_/) as string,
        session: {
          type: 'transcription',
          object: 'realtime.transcription_session',
          id: 'sess_0f8e2c1b4d6a4e0f9b7c3a2d1e5f6a7b',
          expires_at: expect.any(Number) as number,
          audio: {
            input: {
              format: { type: 'audio/pcm', rate: 24_000 },
              transcription: { model: 'local-model' },
              turn_detection: {
                type: 'server_vad',
                threshold: 0.5,
                prefix_padding_ms: 400,
                silence_duration_ms: 300,
                idle_timeout_ms: null,
              },
            },
          },
          include: [],
        },
      },
    ]);
    expect(h.framing.settings.format).toEqual({ encoding: 'pcm_s16le', sampleRate: 24_000, channels: 1 });
  });

  it('session.update before audio: a reformat, then the VAD and language configured in order, then session.updated', async () => {
    const h = new Harness();
    await h.send({
      type: 'session.update',
      session: {
        type: 'transcription',
        audio: {
          input: {
            format: { type: 'audio/pcmu' },
            transcription: { model: 'gpt-4o-transcribe', language: 'en' },
            turn_detection: { type: 'server_vad', silence_duration_ms: 800, prefix_padding_ms: 200 },
            noise_reduction: { type: 'near_field' },
          },
        },
      },
    });
    expect(h.actions.map((a) => a.kind)).toEqual(['keepalive', 'reformat', 'queued']);
    expect(h.actions[1]).toEqual({
      kind: 'reformat',
      format: { encoding: 'pcm_mulaw', sampleRate: 8000, channels: 1 },
    });
    expect(h.commands).toEqual([
      {
        type: 'configure',
        settings: { language: 'en', interimResults: true, vad: { minSilenceMs: 800, speechPadMs: 200 } },
      },
    ]);
    const [updated] = h.ofType('session.updated');
    expect(updated!.session).toMatchObject({
      audio: {
        input: {
          format: { type: 'audio/pcmu' },
          // The model that transcribes is the server's.
          transcription: { model: 'local-model', language: 'en' },
          turn_detection: { type: 'server_vad', silence_duration_ms: 800, prefix_padding_ms: 200, threshold: 0.5 },
        },
      },
    });
    // Accepted, not applied: the session has none.
    expect((updated!.session as { audio: { input: object } }).audio.input).not.toHaveProperty('noise_reduction');
  });

  it('transcription_session.update (the beta API) is answered with transcription_session.updated in its shape', async () => {
    const h = new Harness();
    await h.send({
      type: 'transcription_session.update',
      session: {
        input_audio_format: 'g711_alaw',
        turn_detection: null,
        include: ['item.input_audio_transcription.logprobs'],
      },
    });
    expect(h.actions.map((a) => a.kind)).toEqual(['keepalive', 'reformat', 'queued']);
    expect(h.ofType('transcription_session.updated')[0]!.session).toMatchObject({
      input_audio_format: 'g711_alaw',
      input_audio_transcription: { model: 'local-model' },
      input_audio_noise_reduction: null,
      turn_detection: null,
      include: ['item.input_audio_transcription.logprobs'],
    });
    expect(h.ofType('session.updated')).toEqual([]);
  });

  it('refuses a format change once audio was appended, applying nothing of that update', async () => {
    const h = new Harness();
    await h.send(append(4800));
    await h.send({
      type: 'session.update',
      event_id: 'late',
      session: { type: 'transcription', audio: { input: { format: { type: 'audio/pcma' }, turn_detection: null } } },
    });
    expect(h.actions.map((a) => a.kind)).toEqual(['audio', 'reply']);
    expect(h.ofType('error')[0]!.error).toEqual({
      type: 'invalid_request_error',
      code: 'invalid_value',
      param: 'session.audio.input.format',
      event_id: 'late',
      message: expect.stringMatching(/cannot change once audio has been appended/) as string,
    });
    expect(h.commands).toEqual([]);
    // The same format again is no change, and the rest of the update applies.
    await h.send({
      type: 'session.update',
      session: { type: 'transcription', audio: { input: { format: { type: 'audio/pcm' }, turn_detection: null } } },
    });
    expect(h.commands).toEqual([
      {
        type: 'configure',
        settings: { language: undefined, interimResults: true, vad: { minSilenceMs: MANUAL_COMMIT_SILENCE_MS } },
      },
    ]);
    expect(h.ofType('session.updated')[0]!.session).toMatchObject({ audio: { input: { turn_detection: null } } });
  });

  it('server VAD: speech_started, live deltas, speech_stopped + committed, then the rest and completed', () => {
    const h = new Harness();
    h.pipelineSays({ type: 'speech-started', segmentId: 0, start: 0.604 });
    // Each hypothesis with the stable prefix the pipeline found (words the last two agree on).
    for (const [text, stable] of [
      ['hello', ''],
      ['hello there', 'hello'],
      ['hello there my', 'hello there'],
      ['hello there my friend', 'hello there my'],
    ] as const)
      h.pipelineSays({ type: 'partial', segmentId: 0, text, stable, start: 0.604, end: 1 });
    h.pipelineSays({ type: 'speech-stopped', segmentId: 0, end: 3.2 });
    h.pipelineSays(final(0, 'hello there my friend how are you'));
    const [started] = h.ofType('input_audio_buffer.speech_started');
    const itemId = started!.item_id as string;
    expect(started).toMatchObject({ audio_start_ms: 604, item_id: expect.stringMatching(/^item_/) as string });
    expect(h.ofType('input_audio_buffer.speech_stopped')[0]).toMatchObject({ audio_end_ms: 3200, item_id: itemId });
    expect(h.ofType('input_audio_buffer.committed')[0]).toMatchObject({ item_id: itemId, previous_item_id: null });
    const deltas = h.ofType('conversation.item.input_audio_transcription.delta').map((d) => d.delta);
    // Each word once two hypotheses in a row agree on it; the rest with the final.
    expect(deltas).toEqual(['hello', ' there', ' my', ' friend how are you']);
    const [completed] = h.ofType('conversation.item.input_audio_transcription.completed');
    expect(completed).toMatchObject({
      item_id: itemId,
      content_index: 0,
      transcript: 'hello there my friend how are you',
      usage: { type: 'duration', seconds: 2.5 },
    });
    expect(completed).not.toHaveProperty('logprobs');
    expect(h.deltasOf(itemId)).toBe(completed!.transcript);
    // The first delta came while the utterance was spoken.
    expect(h.types.indexOf('conversation.item.input_audio_transcription.delta')).toBeLessThan(
      h.types.indexOf('input_audio_buffer.speech_stopped'),
    );
  });

  it('chains items: each committed names the one before it; every event id is unique', () => {
    const h = new Harness();
    for (const segmentId of [0, 1, 2]) {
      h.pipelineSays({ type: 'speech-started', segmentId, start: segmentId * 4 });
      h.pipelineSays({ type: 'speech-stopped', segmentId, end: segmentId * 4 + 2 });
    }
    for (const segmentId of [0, 1, 2]) h.pipelineSays(final(segmentId, `utterance ${segmentId}`));
    const committed = h.ofType('input_audio_buffer.committed');
    expect(committed.map((c) => c.previous_item_id)).toEqual([null, committed[0]!.item_id, committed[1]!.item_id]);
    expect(h.ofType('conversation.item.input_audio_transcription.completed').map((c) => c.item_id)).toEqual(
      committed.map((c) => c.item_id),
    );
    expect(new Set(h.sent.map((m) => m.event_id)).size).toBe(h.sent.length);
  });

  it('turn_detection null: no speech events; a commit finalizes, its committed comes with the end of speech', async () => {
    const h = new Harness(framingWith({ ...DEFAULT_SESSION, turnDetection: null }));
    h.onCommand = (command) => {
      if (command.type === 'finalize') h.pipelineSays({ type: 'speech-stopped', segmentId: 0, end: 1.5 });
    };
    await h.send(append(48_000));
    h.pipelineSays({ type: 'speech-started', segmentId: 0, start: 0.2 });
    await h.send({ type: 'input_audio_buffer.commit', event_id: 'c1' });
    h.pipelineSays(final(0, 'one two'));
    expect(h.commands).toEqual([{ type: 'finalize' }]);
    expect(h.types).toEqual([
      'session.created',
      'input_audio_buffer.committed',
      'conversation.item.input_audio_transcription.delta',
      'conversation.item.input_audio_transcription.completed',
    ]);
  });

  it('a commit with no speech since the last: an item with an empty transcript, or an error under 100 ms', async () => {
    const h = new Harness(framingWith({ ...DEFAULT_SESSION, turnDetection: null }));
    await h.send({ type: 'input_audio_buffer.commit', event_id: 'too-soon' });
    expect(h.ofType('error')[0]!.error).toMatchObject({
      code: 'input_audio_buffer_commit_empty',
      event_id: 'too-soon',
      param: null,
    });
    // 24 kHz 16-bit: 48,000 bytes are a second of silence the VAD heard no speech in.
    await h.send(append(48_000));
    await h.send({ type: 'input_audio_buffer.commit' });
    const [committed] = h.ofType('input_audio_buffer.committed');
    expect(h.ofType('conversation.item.input_audio_transcription.completed')).toEqual([
      expect.objectContaining({ item_id: committed!.item_id, transcript: '', usage: { type: 'duration', seconds: 1 } }),
    ]);
    // That second is committed: a commit right after it has nothing again.
    await h.send({ type: 'input_audio_buffer.commit' });
    expect(h.ofType('error')).toHaveLength(2);
  });

  it('an empty commit behind an utterance still transcribing gets its completed after that one', async () => {
    const h = new Harness();
    await h.send(append(96_000));
    h.pipelineSays({ type: 'speech-started', segmentId: 0, start: 0.1 });
    h.pipelineSays({ type: 'speech-stopped', segmentId: 0, end: 0.9 });
    await h.send({ type: 'input_audio_buffer.commit' });
    h.pipelineSays(final(0, 'first'));
    const completed = h.ofType('conversation.item.input_audio_transcription.completed');
    const committed = h.ofType('input_audio_buffer.committed');
    expect(committed).toHaveLength(2);
    expect(completed.map((c) => [c.item_id, c.transcript])).toEqual([
      [committed[0]!.item_id, 'first'],
      [committed[1]!.item_id, ''],
    ]);
  });

  it('input_audio_buffer.clear discards the utterance in progress (no completed) and answers cleared', async () => {
    const h = new Harness();
    h.onCommand = (command) => {
      if (command.type === 'discard') h.pipelineSays({ type: 'speech-discarded', segmentId: 0 });
    };
    await h.send(append(48_000));
    h.pipelineSays({ type: 'speech-started', segmentId: 0, start: 0.1 });
    await h.send({ type: 'input_audio_buffer.clear' });
    expect(h.commands).toEqual([{ type: 'discard' }]);
    expect(h.types.slice(-1)).toEqual(['input_audio_buffer.cleared']);
    // A partial that was already on its way is dropped with the item; a commit now has an empty buffer.
    h.pipelineSays({ type: 'partial', segmentId: 0, text: 'late', stable: '', start: 0.1, end: 1 });
    await h.send({ type: 'input_audio_buffer.commit' });
    expect(h.types.slice(-2)).toEqual(['input_audio_buffer.cleared', 'error']);
  });

  it('a failed transcription is .failed with the error; the next utterance completes', () => {
    const h = new Harness();
    for (const segmentId of [0, 1]) {
      h.pipelineSays({ type: 'speech-started', segmentId, start: segmentId * 3 });
      h.pipelineSays({ type: 'speech-stopped', segmentId, end: segmentId * 3 + 2 });
    }
    h.pipelineSays(
      final(0, '', { error: { code: 'provider_unavailable', message: 'the ASR provider did not answer' } }),
    );
    h.pipelineSays(final(1, 'still here'));
    const [failed] = h.ofType('conversation.item.input_audio_transcription.failed');
    expect(failed).toMatchObject({
      content_index: 0,
      error: { type: 'server_error', code: 'provider_unavailable', message: 'the ASR provider did not answer' },
    });
    expect(failed!.error).not.toHaveProperty('param');
    expect(h.ofType('conversation.item.input_audio_transcription.completed')).toEqual([
      expect.objectContaining({ transcript: 'still here' }),
    ]);
  });

  it('include logprobs: completed and the final delta carry log(confidence) per word; live deltas null', () => {
    const h = new Harness(framingWith({ ...DEFAULT_SESSION, logprobs: true }));
    h.pipelineSays({ type: 'speech-started', segmentId: 0, start: 0 });
    for (const [text, stable] of [
      ['good', ''],
      ['good day', 'good'],
      ['good day sir', 'good day'],
    ] as const)
      h.pipelineSays({ type: 'partial', segmentId: 0, text, stable, start: 0, end: 1 });
    h.pipelineSays({ type: 'speech-stopped', segmentId: 0, end: 2 });
    const words = [
      { word: 'good', start: 0, end: 0.4, confidence: 0.9 },
      { word: 'day', start: 0.4, end: 0.8, confidence: 1 },
      { word: 'sir', start: 0.8, end: 1.2, confidence: 0 },
    ];
    h.pipelineSays(final(0, 'good day sir', { words }));
    const deltas = h.ofType('conversation.item.input_audio_transcription.delta');
    expect(deltas.map((d) => [d.delta, d.logprobs])).toEqual([
      ['good', null],
      [' day', null],
      [' sir', [{ token: ' sir', bytes: [32, 115, 105, 114], logprob: Math.log(0.0005) }]],
    ]);
    const [completed] = h.ofType('conversation.item.input_audio_transcription.completed');
    expect(completed!.logprobs).toEqual([
      { token: 'good', bytes: [103, 111, 111, 100], logprob: Math.log(0.9) },
      { token: ' day', bytes: [32, 100, 97, 121], logprob: 0 },
      { token: ' sir', bytes: [32, 115, 105, 114], logprob: Math.log(0.0005) },
    ]);
  });

  it('a slow reader gets no live deltas; what they held back comes with a later one, nothing lost', () => {
    const h = new Harness();
    h.pipelineSays({ type: 'speech-started', segmentId: 0, start: 0 });
    h.pipelineSays({ type: 'partial', segmentId: 0, text: 'a b', stable: 'a', start: 0, end: 1 }, false);
    h.pipelineSays({ type: 'partial', segmentId: 0, text: 'a b c', stable: 'a b', start: 0, end: 1 }, false);
    expect(h.ofType('conversation.item.input_audio_transcription.delta')).toEqual([]);
    h.pipelineSays({ type: 'partial', segmentId: 0, text: 'a b c d', stable: 'a b c', start: 0, end: 1 });
    h.pipelineSays({ type: 'speech-stopped', segmentId: 0, end: 2 });
    h.pipelineSays(final(0, 'a b c d e'));
    const deltas = h.ofType('conversation.item.input_audio_transcription.delta').map((d) => d.delta);
    expect(deltas).toEqual(['a b c', ' d e']);
  });

  it('a final not beginning with what was sent (the pipeline never makes one): completed as it is, no rest', () => {
    const h = new Harness();
    h.pipelineSays({ type: 'speech-started', segmentId: 0, start: 0 });
    h.pipelineSays({ type: 'partial', segmentId: 0, text: 'heh mr', stable: '', start: 0, end: 1 });
    h.pipelineSays({ type: 'partial', segmentId: 0, text: 'heh mr john', stable: 'heh mr', start: 0, end: 1 });
    h.pipelineSays({ type: 'speech-stopped', segmentId: 0, end: 2 });
    h.pipelineSays(final(0, 'and mr john dashwood'));
    expect(h.ofType('conversation.item.input_audio_transcription.delta').map((d) => d.delta)).toEqual(['heh mr']);
    expect(h.ofType('conversation.item.input_audio_transcription.completed')[0]!.transcript).toBe(
      'and mr john dashwood',
    );
  });

  it('bad frames get an error event with OpenAI error object; the session goes on', async () => {
    const h = new Harness();
    await h.act(h.framing.frame(Buffer.from([1, 2, 3]), true));
    await h.send('{"type":');
    await h.send({ type: 'response.create', event_id: 'r1' });
    expect(h.ofType('error').map((e) => e.error)).toEqual([
      expect.objectContaining({ type: 'invalid_request_error', code: 'invalid_type', event_id: null }),
      expect.objectContaining({ code: 'invalid_json', param: null }),
      expect.objectContaining({ code: 'invalid_value', param: 'type', event_id: 'r1' }),
    ]);
    expect(h.actions.every((a) => a.kind === 'reply')).toBe(true);
  });

  it('a limit: an error naming it, then nothing more; a graceful end the client did not ask for says why', () => {
    const h = new Harness();
    expect(h.framing.fatal('too_many_streams', 'this API key already holds 2 streams')).toEqual([
      expect.objectContaining({
        type: 'error',
        error: {
          type: 'invalid_request_error',
          code: 'too_many_streams',
          message: 'this API key already holds 2 streams',
          param: null,
          event_id: null,
        },
      }),
    ]);
    expect(h.framing.closing('too_many_streams')).toEqual([]);
    const full = framingWith().fatal('server_full', 'the server is at capacity', 5);
    expect(full[0]).toMatchObject({
      error: { type: 'server_error', message: 'the server is at capacity; retry after 5 s' },
    });
    expect(framingWith().closing('idle_timeout')).toEqual([
      expect.objectContaining({ error: expect.objectContaining({ code: 'idle_timeout' }) as unknown }),
    ]);
    expect(framingWith().closing('client_closed')).toEqual([]);
    expect(framingWith().close('idle_timeout', 4001)).toEqual({ code: 4001, reason: 'idle_timeout' });
  });
});
