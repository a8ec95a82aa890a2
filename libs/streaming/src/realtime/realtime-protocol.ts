import type { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import { AsrProvider } from '@asr/asr';
import { Authenticator } from '@asr/auth';
import { AppConfig } from '@asr/config';
import { VadService } from '@asr/vad';
import type { AcceptedHandshake, HandshakeRefusal, LiveProtocol } from '../live-protocol';
import { streamLimitsOf } from '../native-protocol';
import { RealtimeFraming } from './realtime-framing';
import { EventProblemError } from './realtime-problem';
import { applyChange, DEFAULT_SESSION, type RealtimeLimits, readSession } from './realtime-session';

export const REALTIME_PATH = '/v1/realtime';

const TRANSCRIPTION_ONLY =
  'this server serves OpenAI Realtime transcription sessions only: connect to /v1/realtime?intent=transcription ' +
  '(the openai SDK: new OpenAIRealtimeWS({ intent: "transcription" }, client))';

/**
 * OpenAI's Realtime API, transcription sessions only: `GET /v1/realtime?intent=transcription`. Credentials as
 * OpenAI's clients send them (Authenticator.handshake 'realtime'); an ephemeral key's session preset is applied
 * before the client's first event.
 */
@Injectable()
export class RealtimeProtocol implements LiveProtocol {
  readonly path = REALTIME_PATH;
  private readonly limits: RealtimeLimits;

  constructor(
    private readonly config: AppConfig,
    private readonly authenticator: Authenticator,
    private readonly vad: VadService,
    private readonly provider: AsrProvider,
  ) {
    this.limits = { maxSpeechPadMs: streamLimitsOf(config).maxSpeechPadMs };
  }

  handshake(request: IncomingMessage, url: URL): AcceptedHandshake | HandshakeRefusal {
    const query = url.searchParams;
    const auth = this.authenticator.handshake('realtime', request, query);
    if (!auth.ok)
      return { ok: false, status: auth.error.getStatus(), reason: auth.error.message, headers: auth.error.headers };
    const wrongTarget = refusedTarget(query);
    if (wrongTarget) return { ok: false, status: 400, reason: wrongTarget };
    let config = DEFAULT_SESSION;
    if (auth.session !== undefined) {
      try {
        config = applyChange(config, readSession(auth.session, this.limits));
      } catch (error) {
        if (!(error instanceof EventProblemError)) throw error;
        return {
          ok: false,
          status: 400,
          reason: `the ephemeral key's session cannot be served: ${error.problem.message}; mint a new key`,
        };
      }
    }
    const framing = new RealtimeFraming({
      config,
      limits: this.limits,
      effectiveVad: (overrides) => this.vad.settingsMs(overrides),
      model: this.provider.defaultModel,
      maxSessionS: this.config.streaming.maxSessionS,
    });
    return { ok: true, caller: auth.caller, framing };
  }
}

/** Why the query does not open a transcription session (a model's conversation session, a call), or undefined. */
function refusedTarget(query: URLSearchParams): string | undefined {
  if (query.has('model'))
    return `?model= opens a conversation session with a model, which this server does not have; ${TRANSCRIPTION_ONLY}`;
  if (query.has('call_id'))
    return `?call_id= attaches to a SIP or WebRTC call, which this server does not take; ${TRANSCRIPTION_ONLY}`;
  const intents = query.getAll('intent');
  if (intents.length !== 1 || intents[0] !== 'transcription')
    return intents.length === 0
      ? `the intent is missing; ${TRANSCRIPTION_ONLY}`
      : `intent must be "transcription", once; ${TRANSCRIPTION_ONLY}`;
  return undefined;
}
