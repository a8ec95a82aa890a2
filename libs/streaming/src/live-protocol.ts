import type { IncomingMessage } from 'node:http';
import type { Caller } from '@asr/auth';
import type { Framing } from './framing';

export type HandshakeVerdict =
  { ok: true } | { ok: false; status: number; reason: string; headers?: Record<string, string> };

export type HandshakeRefusal = Extract<HandshakeVerdict, { ok: false }>;

/** An upgrade request a protocol accepts: who is calling, and the framing its session will speak. */
export interface AcceptedHandshake {
  ok: true;
  caller: Caller;
  framing: Framing;
}

/**
 * One live protocol the server speaks: where it listens and how it reads an upgrade request. What every protocol
 * shares (shutdown, the Host and Origin checks, admission, the session's limits) is the StreamingService's.
 */
export interface LiveProtocol {
  readonly path: string;
  /** The credentials and settings of an upgrade request, or why it is refused (an HTTP status before the upgrade). */
  handshake(request: IncomingMessage, url: URL): AcceptedHandshake | HandshakeRefusal;
}

/** Every live protocol of this server, by path (one provider, so adding a protocol is one line in the module). */
export class LiveProtocols {
  private readonly byPath: ReadonlyMap<string, LiveProtocol>;

  constructor(protocols: readonly LiveProtocol[]) {
    this.byPath = new Map(protocols.map((protocol) => [protocol.path, protocol]));
  }

  at(path: string): LiveProtocol | undefined {
    return this.byPath.get(path);
  }
}
