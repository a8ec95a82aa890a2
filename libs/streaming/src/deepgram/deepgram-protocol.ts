import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import { AsrProvider } from '@asr/asr';
import { Authenticator } from '@asr/auth';
import { AppConfig } from '@asr/config';
import type { AcceptedHandshake, HandshakeRefusal, LiveProtocol } from '../live-protocol';
import { DeepgramFraming } from './deepgram-framing';
import type { DeepgramModel } from './deepgram-messages';
import { type DeepgramEngine, parseDeepgramQuery } from './deepgram-query';
import { stableUuid } from './stable-uuid';

export const DEEPGRAM_LISTEN_PATH = '/v1/listen';

/** Header values are bytes on the wire: anything but printable ASCII (a client's own text, quoted back) is replaced. */
const MAX_HEADER_CHARS = 1000;

function headerSafe(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, MAX_HEADER_CHARS);
}

/**
 * Deepgram's live handshake: `Authorization: Token <key>` (or `Bearer`), or from a browser the subprotocol pair
 * `token`, `<key>`; the session's settings as Deepgram's query parameters. A refusal carries Deepgram's `dg-error`
 * header (its reason) and `dg-request-id`, as Deepgram's own do, for clients that cannot read the body.
 */
@Injectable()
export class DeepgramProtocol implements LiveProtocol {
  readonly path = DEEPGRAM_LISTEN_PATH;
  private readonly model: DeepgramModel;

  constructor(
    private readonly config: AppConfig,
    private readonly authenticator: Authenticator,
    private readonly provider: AsrProvider,
  ) {
    this.model = {
      uuid: stableUuid(`${provider.name}/${provider.defaultModel}`),
      name: provider.defaultModel,
      version: 'latest',
      arch: provider.name,
    };
  }

  handshake(request: IncomingMessage, url: URL): AcceptedHandshake | HandshakeRefusal {
    const auth = this.authenticator.handshake('deepgram', request, url.searchParams);
    if (!auth.ok) return refusal(auth.error.getStatus(), auth.error.message, auth.error.headers);
    const parsed = parseDeepgramQuery(url.searchParams, this.engine);
    if (!parsed.ok) return refusal(400, parsed.reason);
    const framing = new DeepgramFraming({
      settings: parsed.value,
      model: this.model,
      idleTimeoutS: this.config.streaming.idleTimeoutS,
    });
    return { ok: true, caller: auth.caller, framing };
  }

  private get engine(): DeepgramEngine {
    return {
      model: this.provider.defaultModel,
      languages: this.provider.capabilities.languages,
      // Remote Whisper-family models punctuate; the embedded engine writes lowercase words.
      punctuates: this.provider.name !== 'local',
    };
  }
}

function refusal(status: number, reason: string, headers: Record<string, string> = {}): HandshakeRefusal {
  return {
    ok: false,
    status,
    reason,
    headers: { ...headers, 'dg-error': headerSafe(reason), 'dg-request-id': randomUUID() },
  };
}
