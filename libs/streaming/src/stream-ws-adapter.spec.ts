import { selectSubprotocol } from './stream-ws-adapter';

describe('selectSubprotocol', () => {
  it.each([
    [['realtime', 'openai-insecure-api-key.ek_x'], 'realtime'],
    [['openai-insecure-api-key.ek_x', 'realtime'], 'realtime'],
    [['token', 'dg-key'], 'token'],
    [['dg-key', 'bearer'], 'bearer'],
  ])('answers %j with the protocol name %s, never the credential', (offered, chosen) => {
    expect(selectSubprotocol(new Set(offered))).toBe(chosen);
  });

  it('answers an offer with no known name with its first entry (a browser fails an offer left unanswered)', () => {
    expect(selectSubprotocol(new Set(['chat', 'superchat']))).toBe('chat');
  });

  it('never echoes an OpenAI credential, even when it is all that was offered', () => {
    expect(selectSubprotocol(new Set(['openai-insecure-api-key.sk-live-key']))).toBe(false);
    expect(selectSubprotocol(new Set(['openai-insecure-api-key.sk-live-key', 'chat']))).toBe('chat');
  });

  it('answers no offer with none', () => {
    expect(selectSubprotocol(new Set())).toBe(false);
  });
});
