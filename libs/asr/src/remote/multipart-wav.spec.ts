import { MultipartWav } from './multipart-wav';

/** The body as a multipart parser (undici's) reads it. */
async function parse(body: MultipartWav, bytes: Buffer): Promise<FormData> {
  return new Response(bytes, { headers: { 'content-type': body.contentType } }).formData();
}

describe('MultipartWav (a remote call’s body, written into one reused buffer)', () => {
  it('holds the WAV as the file part and the fields as the SDK encodes them: arrays as name[], objects as name[key]', async () => {
    const body = new MultipartWav(1024);
    const samples = Float32Array.from({ length: 1601 }, (_, i) => Math.sin(i / 7) * 0.5);
    const bytes = body.write(samples, {
      model: 'whisper-1',
      temperature: 0,
      prompt: 'say "hi"\r\nthen stop',
      timestamp_granularities: ['word', 'segment'],
      chunking_strategy: { type: 'server_vad', threshold: 0.5 },
      language: undefined,
    });
    const form = await parse(body, bytes);
    expect(form.get('model')).toBe('whisper-1');
    expect(form.get('temperature')).toBe('0');
    expect(form.get('prompt')).toBe('say "hi"\r\nthen stop');
    expect(form.getAll('timestamp_granularities[]')).toEqual(['word', 'segment']);
    expect(form.get('chunking_strategy[type]')).toBe('server_vad');
    expect(form.get('chunking_strategy[threshold]')).toBe('0.5');
    expect(form.has('language')).toBe(false);
    const file = form.get('file') as File;
    expect(file.name).toBe('audio.wav');
    expect(file.type).toBe('audio/wav');
    const wav = Buffer.from(await file.arrayBuffer());
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(40)).toBe(samples.length * 2);
    expect(wav.readInt16LE(44 + 2 * 100)).toBe(Math.floor(Math.sin(100 / 7) * 0.5 * 32767 + 0.5));
  });

  it('reuses its buffer while the body fits, grows it when not, and each body reads back whole', async () => {
    const body = new MultipartWav(64 * 1024);
    const first = body.write(new Float32Array(1000).fill(0.25), { model: 'a' });
    const second = body.write(new Float32Array(2000).fill(-0.25), { model: 'b' });
    expect(second.buffer).toBe(first.buffer);
    const grown = body.write(new Float32Array(40_000).fill(0.5), { model: 'c' });
    expect(grown.buffer).not.toBe(first.buffer);
    for (const [bytes, model, length] of [
      [second, 'b', 2000],
      [grown, 'c', 40_000],
    ] as const) {
      const form = await parse(body, bytes);
      expect(form.get('model')).toBe(model);
      expect((form.get('file') as File).size).toBe(44 + length * 2);
    }
  });
});
