import { BadRequestException, ValidationPipe } from '@nestjs/common';
import { loadConfigOrThrow } from '@asr/config';
import { ApiError } from '@asr/observability';
import { nameOf, WITH_KEYS } from '../../../test/support/auth-fixtures';
import type { Caller } from './api-keys';
import { ClientSecretRequestDto } from './client-secret.dto';
import { ClientSecretsController, MAX_SESSION_PRESET_BYTES } from './client-secrets.controller';
import { StreamTokens } from './stream-tokens';

const ALPHA = nameOf('alpha-key');
const caller = (tenant = ALPHA): Caller => ({ id: `key:${tenant}`, authenticated: true, tenant, admin: false });

function controller(): { secrets: ClientSecretsController; tokens: StreamTokens } {
  const tokens = new StreamTokens(loadConfigOrThrow(WITH_KEYS));
  return { secrets: new ClientSecretsController(tokens), tokens };
}

/** The body as the app's global ValidationPipe hands it to the route, or the messages it refuses it with. */
async function validated(body: unknown): Promise<ClientSecretRequestDto | string[]> {
  const pipe = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });
  try {
    return (await pipe.transform(body, { type: 'body', metatype: ClientSecretRequestDto })) as ClientSecretRequestDto;
  } catch (error) {
    if (!(error instanceof BadRequestException)) throw error;
    return (error.getResponse() as { message: string[] }).message;
  }
}

describe('ClientSecretsController', () => {
  it('mints an ek_ key, for the caller’s key, that verifies as an ephemeral key; answered in OpenAI’s shape', async () => {
    const { secrets, tokens } = controller();
    const body = await validated({});
    if (Array.isArray(body)) throw new Error(body.join('; '));
    const answer = secrets.create(caller(), body);
    expect(answer).toEqual({
      value: expect.stringMatching(/^ek_st1\./) as unknown,
      expires_at: expect.any(Number) as unknown,
      session: {
        id: expect.stringMatching(/^sess_[0-9a-f]{32}$/) as unknown,
        object: 'realtime.transcription_session',
        type: 'transcription',
        expires_at: answer.expires_at,
      },
    });
    // STREAM_TOKEN_TTL_S (60) when no expiry is asked for.
    expect(answer.expires_at - Date.now() / 1000).toBeGreaterThan(55);
    expect(answer.expires_at - Date.now() / 1000).toBeLessThanOrEqual(60);
    expect(tokens.verifyEphemeral(answer.value)).toEqual({ ok: true, keyName: ALPHA });
    expect(tokens.verify(answer.value.slice(3)).ok).toBe(false);
  });

  it('binds the session configuration to the key and echoes it; caps the life at 300 s', async () => {
    const { secrets, tokens } = controller();
    const request = {
      expires_after: { anchor: 'created_at', seconds: 600 },
      session: {
        type: 'transcription',
        audio: { input: { format: { type: 'audio/pcm', rate: 24000 }, turn_detection: null } },
        include: ['item.input_audio_transcription.logprobs'],
      },
    };
    const body = await validated(request);
    if (Array.isArray(body)) throw new Error(body.join('; '));
    const answer = secrets.create(caller(), body);
    expect(answer.expires_at - Date.now() / 1000).toBeGreaterThan(295);
    expect(answer.expires_at - Date.now() / 1000).toBeLessThanOrEqual(300);
    expect(answer.session).toMatchObject({ audio: request.session.audio, include: request.session.include });
    expect(tokens.verifyEphemeral(answer.value)).toEqual({ ok: true, keyName: ALPHA, session: request.session });
  });

  it('mints on a server without keys, for the open tenant (whose keys a server with keys refuses)', async () => {
    const { secrets, tokens } = controller();
    const body = await validated({});
    if (Array.isArray(body)) throw new Error(body.join('; '));
    const open: Caller = { id: 'ip:10.0.0.1', authenticated: false, tenant: 'open', admin: true };
    expect(tokens.verifyEphemeral(secrets.create(open, body).value)).toEqual({ ok: true, keyName: 'open' });
  });

  it.each<[string, unknown, RegExp]>([
    [
      'a realtime (speech-to-speech) session',
      { session: { type: 'realtime' } },
      /^session\.type must be "transcription"/,
    ],
    ['a session without a type', { session: {} }, /^session\.type must be "transcription"/],
    [
      'a field of realtime sessions',
      { session: { type: 'transcription', instructions: 'hi' } },
      /instructions should not exist/,
    ],
    ['an expiry under 10 s', { expires_after: { seconds: 5 } }, /^expires_after\.seconds must not be less than 10/],
    [
      'an expiry over 2 h',
      { expires_after: { seconds: 7201 } },
      /^expires_after\.seconds must not be greater than 7200/,
    ],
    ['another anchor', { expires_after: { anchor: 'first_use' } }, /^expires_after\.anchor must be one of/],
    ['an unknown include', { session: { type: 'transcription', include: ['x'] } }, /^session\.each value in include/],
    ['an unknown field', { model: 'gpt-4o-transcribe' }, /^property model should not exist/],
  ])('refuses %s (400)', async (_case, request, message) => {
    const refused = await validated(request);
    expect(Array.isArray(refused) ? refused : []).toContainEqual(expect.stringMatching(message));
  });

  it(`refuses a session over ${MAX_SESSION_PRESET_BYTES} bytes of JSON: it travels in a header`, async () => {
    const body = await validated({
      session: { type: 'transcription', audio: { input: { transcription: { prompt: 'p'.repeat(2100) } } } },
    });
    if (Array.isArray(body)) throw new Error(body.join('; '));
    let refusal = 'none';
    try {
      controller().secrets.create(caller(), body);
    } catch (error) {
      refusal = error instanceof ApiError ? `${error.getStatus()} ${error.code}` : String(error);
    }
    expect(refusal).toBe('400 session_too_large');
  });
});
