import type { IncomingMessage } from 'node:http';
import { Injectable } from '@nestjs/common';
import { Authenticator } from '@asr/auth';
import { AppConfig } from '@asr/config';
import { VadService } from '@asr/vad';
import type { AcceptedHandshake, HandshakeRefusal, LiveProtocol } from './live-protocol';
import { NativeFraming } from './native-framing';
import { parseStreamQuery, type StreamLimits } from './stream-params';

export const STREAM_PATH = '/api/v1/stream';

/** The server's limits on what a stream's settings may ask for. */
export function streamLimitsOf(config: AppConfig): StreamLimits {
  return {
    maxSpeechPadMs: Math.round(config.streaming.lookbackDurationS * 1000),
    maxSegmentS: config.streaming.maxDurationS,
  };
}

/** The native protocol's handshake: a key or `?token=`, and the stream's settings as query parameters. */
@Injectable()
export class NativeProtocol implements LiveProtocol {
  readonly path = STREAM_PATH;
  private readonly limits: StreamLimits;

  constructor(
    config: AppConfig,
    private readonly authenticator: Authenticator,
    private readonly vad: VadService,
  ) {
    this.limits = streamLimitsOf(config);
  }

  handshake(request: IncomingMessage, url: URL): AcceptedHandshake | HandshakeRefusal {
    const query = url.searchParams;
    const auth = this.authenticator.stream(request, query);
    if (!auth.ok)
      return { ok: false, status: auth.error.getStatus(), reason: auth.error.message, headers: auth.error.headers };
    // The token is a credential, not a stream setting.
    query.delete('token');
    const parsed = parseStreamQuery(query, this.limits);
    if (!parsed.ok) return { ok: false, status: 400, reason: parsed.reason };
    const framing = new NativeFraming(parsed.value, this.limits, (overrides) => this.vad.settingsMs(overrides));
    return { ok: true, caller: auth.caller, framing };
  }
}
