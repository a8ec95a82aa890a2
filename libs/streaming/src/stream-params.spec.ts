import { parseStreamQuery } from './stream-params';

const LIMITS = { maxSpeechPadMs: 500, maxSegmentS: 30 };

function formatOf(query: string): unknown {
  const parsed = parseStreamQuery(new URLSearchParams(query), LIMITS);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.value.format;
}

describe('parseStreamQuery: the audio format', () => {
  it('takes 16-bit PCM at 16 kHz mono when nothing is said', () => {
    expect(formatOf('')).toEqual({ encoding: 'pcm_s16le', sampleRate: 16_000, channels: 1 });
  });

  it('takes G.711 at 8 kHz when no sample_rate is given, as telephony audio is', () => {
    expect(formatOf('encoding=pcm_mulaw')).toEqual({ encoding: 'pcm_mulaw', sampleRate: 8000, channels: 1 });
    expect(formatOf('encoding=pcm_alaw&channels=2')).toEqual({ encoding: 'pcm_alaw', sampleRate: 8000, channels: 2 });
  });

  it('keeps a stated sample_rate for G.711 (wideband systems send μ-law at 16 kHz)', () => {
    expect(formatOf('encoding=pcm_mulaw&sample_rate=16000')).toEqual({
      encoding: 'pcm_mulaw',
      sampleRate: 16_000,
      channels: 1,
    });
  });

  it("refuses other protocols' names for G.711, listing the encodings it takes", () => {
    const parsed = parseStreamQuery(new URLSearchParams('encoding=mulaw'), LIMITS);
    expect(parsed).toEqual({
      ok: false,
      reason: 'encoding must be one of the following values: pcm_s16le, pcm_f32le, pcm_mulaw, pcm_alaw',
    });
  });
});
