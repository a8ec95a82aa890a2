import { DeepgramFraming } from './deepgram-framing';
import { parseDeepgramQuery } from './deepgram-query';

const ENGINE = { model: 'scripted-model', languages: ['*'], punctuates: false };
const MODEL = {
  uuid: '00000000-0000-0000-0000-000000000000',
  name: 'scripted-model',
  version: 'latest',
  arch: 'scripted',
};
const ALLOWED = { previewsAllowed: true };

function framing(query: string): DeepgramFraming {
  const parsed = parseDeepgramQuery(new URLSearchParams(query), ENGINE);
  if (!parsed.ok) throw new Error(parsed.reason);
  return new DeepgramFraming({ settings: parsed.value, model: MODEL, idleTimeoutS: 30 });
}

const partial = (segmentId: number, text: string) =>
  ({ type: 'partial', segmentId, text, stable: '', start: 0, end: 1 }) as const;

describe('DeepgramFraming', () => {
  it('interim results name no utterance: a late one of an utterance before the newest is not sent', () => {
    const f = framing('encoding=linear16&sample_rate=16000&interim_results=true');
    f.event({ type: 'speech-started', segmentId: 0, start: 0 }, ALLOWED);
    expect(f.event(partial(0, 'the cat'), ALLOWED)).toHaveLength(1);
    f.event({ type: 'speech-stopped', segmentId: 0, end: 1 }, ALLOWED);
    // Still the newest utterance: its preview decoded after it ended is sent.
    expect(f.event(partial(0, 'the cat sat'), ALLOWED)).toHaveLength(1);
    f.event({ type: 'speech-started', segmentId: 1, start: 2 }, ALLOWED);
    // Segment 0's late preview would read as the hypothesis of the one now spoken.
    expect(f.event(partial(0, 'the cat sat down'), ALLOWED)).toEqual([]);
    expect(f.event(partial(1, 'a dog'), ALLOWED)).toHaveLength(1);
  });
});
