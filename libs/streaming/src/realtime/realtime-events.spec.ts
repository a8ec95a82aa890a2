import { parseClientEvent, REALTIME_EVENT_BOUNDS } from './realtime-events';
import type { EventProblem } from './realtime-problem';
import { applyChange, DEFAULT_SESSION, MANUAL_COMMIT_SILENCE_MS, vadOverridesOf } from './realtime-session';

const LIMITS = { maxSpeechPadMs: 1000 };

function parse(event: unknown): ReturnType<typeof parseClientEvent> {
  return parseClientEvent(typeof event === 'string' ? event : JSON.stringify(event), LIMITS);
}

function accepted(event: unknown): Extract<ReturnType<typeof parseClientEvent>, { ok: true }>['event'] {
  const parsed = parse(event);
  if (!parsed.ok) throw new Error(`refused: ${parsed.problem.message}`);
  return parsed.event;
}

function refusal(event: unknown): EventProblem & { eventId?: string } {
  const parsed = parse(event);
  if (parsed.ok) throw new Error(`accepted: ${JSON.stringify(event)}`);
  return { ...parsed.problem, ...(parsed.eventId !== undefined && { eventId: parsed.eventId }) };
}

/** The session a GA `session.update` with this `audio.input` (and `include`) comes to, over the defaults. */
function sessionFrom(input: Record<string, unknown>, include?: string[]): ReturnType<typeof applyChange> {
  const event = accepted({
    type: 'session.update',
    session: { type: 'transcription', audio: { input }, ...(include && { include }) },
  });
  if (event.type !== 'session.update') throw new Error(event.type);
  return applyChange(DEFAULT_SESSION, event.change);
}

describe('parseClientEvent: the events a transcription session takes', () => {
  it('input_audio_buffer.append: base64 audio to its bytes, padded or not, with the client event_id', () => {
    const audio = Buffer.from([0, 1, 2, 250, 251]);
    expect(accepted({ type: 'input_audio_buffer.append', audio: audio.toString('base64'), event_id: 'e1' })).toEqual({
      type: 'input_audio_buffer.append',
      audio,
      eventId: 'e1',
    });
    const unpadded = audio.toString('base64').replace(/=+$/, '');
    expect(accepted({ type: 'input_audio_buffer.append', audio: unpadded })).toEqual({
      type: 'input_audio_buffer.append',
      audio,
    });
    expect(accepted({ type: 'input_audio_buffer.append', audio: '' })).toEqual({
      type: 'input_audio_buffer.append',
      audio: Buffer.alloc(0),
    });
  });

  it('refuses bad base64 rather than decoding it leniently, naming the field and echoing the event_id', () => {
    for (const audio of [
      'abc$',
      'a',
      'YWJj=YWJj',
      'data:audio/pcm;base64,AAAA',
      'AA AA',
      '-_-_',
      'QQ==QQ==',
      'QUI==',
      // Node reads a character past ASCII by its low byte: these would decode like base64.
      'QŕJD',
      'QUĭş',
      'QUJ\u00e9',
    ]) {
      expect(refusal({ type: 'input_audio_buffer.append', audio, event_id: 'ev_7' })).toEqual({
        code: 'invalid_value',
        param: 'audio',
        message: expect.stringMatching(/not valid base64/) as string,
        eventId: 'ev_7',
      });
    }
    expect(refusal({ type: 'input_audio_buffer.append', audio: 12 })).toMatchObject({
      code: 'invalid_type',
      param: 'audio',
    });
    expect(refusal({ type: 'input_audio_buffer.append' })).toMatchObject({
      code: 'missing_required_parameter',
      param: 'audio',
    });
  });

  it('input_audio_buffer.commit and .clear', () => {
    expect(accepted({ type: 'input_audio_buffer.commit', event_id: 'c' })).toEqual({
      type: 'input_audio_buffer.commit',
      eventId: 'c',
    });
    expect(accepted({ type: 'input_audio_buffer.clear' })).toEqual({ type: 'input_audio_buffer.clear' });
    expect(refusal({ type: 'input_audio_buffer.commit', audio: 'AAAA' })).toMatchObject({
      code: 'unknown_parameter',
      param: 'event.audio',
    });
  });

  it('session.update: formats to the session, 24 kHz PCM by default, G.711 at 8 kHz', () => {
    expect(sessionFrom({ format: { type: 'audio/pcm', rate: 24_000 } }).format).toEqual({
      type: 'audio/pcm',
      rate: 24_000,
    });
    expect(sessionFrom({ format: { type: 'audio/pcm' } }).format).toEqual({ type: 'audio/pcm', rate: 24_000 });
    expect(sessionFrom({ format: { rate: 16_000 } }).format).toEqual({ type: 'audio/pcm', rate: 16_000 });
    expect(sessionFrom({ format: { type: 'audio/pcmu' } }).format).toEqual({ type: 'audio/pcmu' });
    expect(sessionFrom({ format: { type: 'audio/pcma' } }).format).toEqual({ type: 'audio/pcma' });
    expect(sessionFrom({}).format).toEqual({ type: 'audio/pcm', rate: 24_000 });
  });

  it('session.update: server_vad fields become VAD overrides; null turns detection off (manual commits)', () => {
    const vad = sessionFrom({
      turn_detection: { type: 'server_vad', threshold: 0.6, prefix_padding_ms: 200, silence_duration_ms: 700 },
    });
    expect(vadOverridesOf(vad)).toEqual({ threshold: 0.6, speechPadMs: 200, minSilenceMs: 700 });
    expect(vadOverridesOf(sessionFrom({ turn_detection: { type: 'server_vad' } }))).toEqual({});
    const manual = sessionFrom({ turn_detection: null });
    expect(manual.turnDetection).toBeNull();
    expect(vadOverridesOf(manual)).toEqual({ minSilenceMs: MANUAL_COMMIT_SILENCE_MS });
    // Semantic VAD has no model here: it is served as server VAD with the server's settings.
    expect(sessionFrom({ turn_detection: { type: 'semantic_vad', eagerness: 'low' } }).turnDetection).toEqual({
      type: 'server_vad',
      requested: 'semantic_vad',
    });
  });

  it('session.update: transcription, noise reduction (accepted, not applied) and logprobs', () => {
    const session = sessionFrom(
      {
        transcription: { model: 'gpt-4o-transcribe', language: 'en', prompt: 'expect numbers' },
        noise_reduction: { type: 'far_field' },
      },
      ['item.input_audio_transcription.logprobs'],
    );
    expect(session).toMatchObject({
      transcription: { model: 'gpt-4o-transcribe', language: 'en', prompt: 'expect numbers' },
      noiseReduction: 'far_field',
      logprobs: true,
    });
    expect(sessionFrom({ noise_reduction: null }).noiseReduction).toBeNull();
  });

  it('refuses what a transcription session cannot be, each with the field to fix', () => {
    const update = (input: Record<string, unknown>): unknown => ({
      type: 'session.update',
      event_id: 'u1',
      session: { type: 'transcription', audio: { input } },
    });
    const cases: [unknown, Partial<EventProblem>][] = [
      [{ type: 'session.update', session: { type: 'realtime', model: 'gpt-realtime' } }, { param: 'session.type' }],
      [{ type: 'session.update' }, { code: 'missing_required_parameter', param: 'session' }],
      [
        { type: 'session.update', session: 'transcription' },
        { code: 'invalid_type', param: 'session' },
      ],
      [
        { type: 'session.update', session: { type: 'transcription', instructions: 'hi' } },
        { code: 'unknown_parameter', param: 'session.instructions' },
      ],
      [update({ format: { type: 'audio/wav' } }), { code: 'invalid_value', param: 'session.audio.input.format.type' }],
      [update({ format: { type: 'audio/pcm', rate: 96_000 } }), { param: 'session.audio.input.format.rate' }],
      [update({ format: { type: 'audio/pcmu', rate: 8000 } }), { code: 'unknown_parameter' }],
      [
        update({ turn_detection: { type: 'server_vad', threshold: 1.5 } }),
        { code: 'invalid_value', param: 'session.audio.input.turn_detection.threshold' },
      ],
      [
        update({ turn_detection: { type: 'server_vad', prefix_padding_ms: 5000 } }),
        { param: 'session.audio.input.turn_detection.prefix_padding_ms' },
      ],
      [
        update({ turn_detection: { type: 'server_vad', silence_duration_ms: '500' } }),
        { code: 'invalid_type', param: 'session.audio.input.turn_detection.silence_duration_ms' },
      ],
      [update({ turn_detection: { type: 'push_to_talk' } }), { param: 'session.audio.input.turn_detection.type' }],
      [update({ transcription: null }), { param: 'session.audio.input.transcription' }],
      [
        update({ transcription: { language: 'English please' } }),
        { param: 'session.audio.input.transcription.language' },
      ],
      [update({ noise_reduction: { type: 'studio' } }), { param: 'session.audio.input.noise_reduction.type' }],
      [
        { type: 'session.update', session: { type: 'transcription', include: ['item.input_audio_transcription.x'] } },
        { param: 'session.include[0]' },
      ],
    ];
    for (const [event, expected] of cases) {
      const problem = refusal(event);
      expect(problem).toMatchObject(expected);
      expect(problem.message.length).toBeGreaterThan(15);
    }
    expect(refusal(update({ format: { type: 'audio/wav' } })).eventId).toBe('u1');
  });

  it('transcription_session.update (the beta API): flat fields to the same session', () => {
    const event = accepted({
      type: 'transcription_session.update',
      session: {
        input_audio_format: 'g711_ulaw',
        input_audio_transcription: { model: 'whisper-1', language: 'en' },
        turn_detection: { type: 'server_vad', silence_duration_ms: 400 },
        input_audio_noise_reduction: { type: 'near_field' },
        include: ['item.input_audio_transcription.logprobs'],
      },
    });
    if (event.type !== 'transcription_session.update') throw new Error(event.type);
    expect(applyChange(DEFAULT_SESSION, event.change)).toEqual({
      format: { type: 'audio/pcmu' },
      transcription: { model: 'whisper-1', language: 'en' },
      turnDetection: { type: 'server_vad', requested: 'server_vad', silenceDurationMs: 400 },
      noiseReduction: 'near_field',
      logprobs: true,
    });
    expect(refusal({ type: 'transcription_session.update', session: { input_audio_format: 'mp3' } })).toMatchObject({
      param: 'session.input_audio_format',
    });
  });

  it('refuses text that is not an event: not JSON, not an object, an unknown or a conversation event', () => {
    expect(refusal('hello')).toMatchObject({ code: 'invalid_json' });
    expect(refusal('[1,2]')).toMatchObject({ code: 'invalid_type' });
    expect(refusal({ audio: 'AAAA' })).toMatchObject({ code: 'invalid_type', param: 'type' });
    expect(refusal({ type: 'input_audio_buffer.flush', event_id: 'x' })).toMatchObject({
      code: 'invalid_value',
      param: 'type',
      eventId: 'x',
      message: expect.stringMatching(/unknown event type "input_audio_buffer.flush"/) as string,
    });
    expect(refusal({ type: 'response.create' }).message).toMatch(/transcription sessions only/);
    expect(refusal({ type: 'input_audio_buffer.commit', event_id: 7 })).toMatchObject({
      code: 'invalid_type',
      param: 'event_id',
    });
  });

  it('refuses JSON nested deeper than the bound before parsing it, saying so', () => {
    const depth = REALTIME_EVENT_BOUNDS.maxDepth;
    const deep = `{"type":"session.update","session":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    expect(refusal(deep)).toMatchObject({
      code: 'json_too_deep',
      message: expect.stringMatching(/nested more than 32 levels/) as string,
    });
  });
});
