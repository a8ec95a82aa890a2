import { parseDeepgramControl } from './deepgram-control';

describe('parseDeepgramControl', () => {
  it('reads the three control messages, ignoring fields beside the type', () => {
    expect(parseDeepgramControl('{"type":"KeepAlive"}')).toEqual({ ok: true, type: 'KeepAlive' });
    expect(parseDeepgramControl('{"type":"Finalize","channel":0}')).toEqual({ ok: true, type: 'Finalize' });
    expect(parseDeepgramControl(' {"type": "CloseStream"} ')).toEqual({ ok: true, type: 'CloseStream' });
  });

  it('refuses other types, in any case but Deepgram’s, saying which three it takes', () => {
    for (const text of ['{"type":"keepalive"}', '{"type":"Close"}', '{"type":7}', '{}']) {
      const result = parseDeepgramControl(text);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toMatch(/^unknown control message type .*expected \{"type":"KeepAlive"\}/);
    }
  });

  it('refuses text that is not a JSON object, saying audio goes in binary frames', () => {
    expect(parseDeepgramControl('hello')).toEqual({
      ok: false,
      reason: expect.stringMatching(/must be JSON control messages .*audio goes in binary frames$/) as string,
    });
    expect(parseDeepgramControl('["KeepAlive"]')).toEqual({
      ok: false,
      reason: expect.stringMatching(/^a control message is a JSON object/) as string,
    });
  });

  it('refuses text too large or too deep before parsing it, saying so', () => {
    const deep = `{"type":"KeepAlive","x":${'['.repeat(40)}${']'.repeat(40)}}`;
    expect(parseDeepgramControl(deep)).toEqual({
      ok: false,
      reason: expect.stringMatching(/^JSON nested more than 32 levels deep is refused/) as string,
    });
    expect(parseDeepgramControl(`{"type":"KeepAlive"}${' '.repeat(70_000)}`)).toEqual({
      ok: false,
      reason: expect.stringMatching(/^JSON over 65536 bytes is refused/) as string,
    });
  });
});
