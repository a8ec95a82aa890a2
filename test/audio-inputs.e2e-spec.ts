import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { librivoxSamples } from './support/speech';
import { startTestApp, type TestApp } from './support/test-app';
import { corpusWer } from './support/wer';

jest.setTimeout(120_000);

const SPEECH = librivoxSamples().find((s) => s.id.endsWith('0870'))!;

interface Answer {
  status: number;
  body: { text?: string; code?: string; message?: string };
}

async function upload(t: TestApp, bytes: Buffer, filename: string): Promise<Answer> {
  const form = new FormData();
  form.append('file', new Blob([bytes]), filename);
  const response = await fetch(`${t.url}/api/v1/transcribe`, { method: 'POST', body: form });
  return { status: response.status, body: (await response.json()) as Answer['body'] };
}

function ffmpeg(args: string[]): void {
  execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args]);
}

describe('audio inputs', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    t = await startTestApp();
    dir = mkdtempSync(join(tmpdir(), 'asr-inputs-'));
  });
  afterAll(() => t.close());
  afterEach(() => {
    // Whatever happened, the request left nothing behind.
    expect(readdirSync(t.config.storage.tempPath)).toEqual([]);
  });

  describe.each([
    ['mp3', ['-c:a', 'libmp3lame', '-b:a', '64k']],
    ['ogg', ['-c:a', 'libopus', '-b:a', '32k']],
    ['flac', ['-c:a', 'flac']],
    ['m4a', ['-c:a', 'aac', '-b:a', '64k']],
    ['webm', ['-c:a', 'libopus', '-b:a', '32k']],
  ])('%s made with ffmpeg', (extension, codec) => {
    it('transcribes', async () => {
      const file = join(dir, `speech.${extension}`);
      ffmpeg(['-i', SPEECH.file, ...codec, file]);
      const answer = await upload(t, readFileSync(file), `speech.${extension}`);
      expect(answer.status).toBe(200);
      expect(corpusWer([{ reference: SPEECH.reference, hypothesis: answer.body.text! }])).toBeLessThan(45);
    });
  });

  describe.each([
    ['8-bit', ['-c:a', 'pcm_u8']],
    ['24-bit', ['-c:a', 'pcm_s24le']],
    ['32-bit int', ['-c:a', 'pcm_s32le']],
    ['32-bit float', ['-c:a', 'pcm_f32le']],
    ['44.1 kHz stereo', ['-ar', '44100', '-ac', '2']],
    ['48 kHz 6 channels float', ['-ar', '48000', '-ac', '6', '-c:a', 'pcm_f32le']],
    ['8 kHz', ['-ar', '8000']],
  ])('WAV %s (parsed in-process)', (_name, codec) => {
    it('transcribes', async () => {
      const file = join(dir, `speech-${randomBytes(4).toString('hex')}.wav`);
      ffmpeg(['-i', SPEECH.file, ...codec, file]);
      const answer = await upload(t, readFileSync(file), 'speech.wav');
      expect(answer.status).toBe(200);
      expect(corpusWer([{ reference: SPEECH.reference, hypothesis: answer.body.text! }])).toBeLessThan(50);
    });
  });

  describe('hostile or broken uploads get a clear 4xx', () => {
    let trap: Server;
    let trapPort: number;
    let connections = 0;
    beforeAll(async () => {
      trap = createServer((socket) => {
        connections += 1;
        socket.destroy();
      });
      await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
      trapPort = (trap.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => trap.close(() => resolve())));

    it('an HLS playlist naming a local file and a local URL: refused, nothing opened', async () => {
      const playlist = [
        '#EXTM3U',
        '#EXT-X-TARGETDURATION:10',
        '#EXTINF:10,',
        'file:///etc/passwd',
        '#EXTINF:10,',
        `http://127.0.0.1:${trapPort}/segment.ts`,
        '#EXT-X-ENDLIST',
        '',
      ].join('\n');
      const answer = await upload(t, Buffer.from(playlist), 'playlist.m3u8');
      expect(answer).toMatchObject({ status: 415, body: { code: 'unsupported_format' } });
      expect(answer.body.message).not.toContain('root:');
      expect(connections).toBe(0);
    });

    it('an ffconcat list naming /etc/passwd and a local URL: refused, nothing opened', async () => {
      const list = `ffconcat version 1.0\nfile 'file:///etc/passwd'\nfile 'http://127.0.0.1:${trapPort}/a.wav'\n`;
      const answer = await upload(t, Buffer.from(list), 'list.ffconcat');
      expect(answer).toMatchObject({ status: 415, body: { code: 'unsupported_format' } });
      expect(answer.body.message).not.toContain('root:');
      expect(connections).toBe(0);
    });

    it('a truncated WAV', async () => {
      const whole = readFileSync(SPEECH.file);
      const answer = await upload(t, whole.subarray(0, Math.floor(whole.length / 2)), 'cut.wav');
      expect(answer).toMatchObject({ status: 400, body: { code: 'invalid_audio' } });
      expect(answer.body.message).toContain('truncated');
    });

    it('zero bytes', async () => {
      const answer = await upload(t, Buffer.alloc(0), 'empty.wav');
      expect(answer).toMatchObject({ status: 400, body: { code: 'empty_audio' } });
    });

    it('random bytes', async () => {
      const answer = await upload(t, randomBytes(64 * 1024), 'noise.bin');
      expect(answer).toMatchObject({ status: 400, body: { code: 'invalid_audio' } });
      expect(answer.body.message).toContain('could not decode');
    });

    it('a request without a file, and one that is not multipart', async () => {
      const form = new FormData();
      form.append('language', 'en');
      const missing = await fetch(`${t.url}/api/v1/transcribe`, { method: 'POST', body: form });
      expect(missing.status).toBe(400);
      expect(((await missing.json()) as { message: string }).message).toContain('"file"');
      const json = await fetch(`${t.url}/api/v1/transcribe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(json.status).toBe(415);
    });

    it('an unknown field on the native API, and a bad value', async () => {
      const form = new FormData();
      form.append('timestamps', 'sentence');
      form.append('file', new Blob([readFileSync(SPEECH.file)]), 'speech.wav');
      const answer = await fetch(`${t.url}/api/v1/transcribe`, { method: 'POST', body: form });
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({ code: 'validation_failed' });
    });

    it('leaves the service healthy', async () => {
      expect((await fetch(`${t.url}/health/ready`)).status).toBe(200);
    });
  });
});
