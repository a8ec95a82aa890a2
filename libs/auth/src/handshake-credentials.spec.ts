import type { IncomingHttpHeaders } from 'node:http';
import { handshakeCredential, offeredSubprotocols, type PresentedCredential } from './handshake-credentials';

describe('offeredSubprotocols', () => {
  it.each<[string | undefined, string[]]>([
    [undefined, []],
    ['realtime', ['realtime']],
    // Node joins a repeated Sec-WebSocket-Protocol header with commas.
    ['token, k1,bearer ,, x', ['token', 'k1', 'bearer', 'x']],
  ])('%j → %j', (header, offered) =>
    expect(offeredSubprotocols(header === undefined ? {} : { 'sec-websocket-protocol': header })).toEqual(offered),
  );
});

describe('handshakeCredential', () => {
  it.each<['realtime' | 'deepgram', IncomingHttpHeaders, PresentedCredential]>([
    ['realtime', { 'x-api-key': 'k' }, { kind: 'credential', value: 'k' }],
    ['realtime', { 'sec-websocket-protocol': 'realtime' }, { kind: 'none' }],
    // Deepgram's credential pair is read for Deepgram only, and OpenAI's subprotocol for Realtime only.
    ['realtime', { 'sec-websocket-protocol': 'token, k' }, { kind: 'none' }],
    ['deepgram', { 'sec-websocket-protocol': 'openai-insecure-api-key.k' }, { kind: 'none' }],
    ['deepgram', { 'sec-websocket-protocol': 'Token, k' }, { kind: 'credential', value: 'k' }],
    ['deepgram', { 'x-api-key': '  ', 'sec-websocket-protocol': 'token, k' }, { kind: 'credential', value: 'k' }],
  ])('%s %j → %j', (protocol, headers, presented) => expect(handshakeCredential(protocol, headers)).toEqual(presented));
});
