import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { parseSync } from 'subtitle';
import { concatSamples, encodeWav } from '@asr/audio';
import { artifactPath, launchChromium } from './support/browser';
import { RATE, wavFloat32 } from './support/mixes';
import { corpusSentences, librivoxSamples, mapLimit, type SpeechSample, synthesise } from './support/speech';
import { connect, streamUrl } from './support/stream-client';
import { startTestApp, type TestApp } from './support/test-app';
import { corpusWer } from './support/wer';

jest.setTimeout(240_000);

/** The samples one after another with `gapS` of silence between them (and `edgeS` before and after), as a WAV. */
function concatenate(
  samples: SpeechSample[],
  file: string,
  gapS: number,
  edgeS = gapS,
): { reference: string; seconds: number } {
  const gap = new Float32Array(Math.round(gapS * RATE));
  const edge = new Float32Array(Math.round(edgeS * RATE));
  const parts = samples.flatMap((s, i) => [i === 0 ? edge : gap, wavFloat32(s.file)]);
  parts.push(edge);
  const audio = concatSamples(parts);
  writeFileSync(file, encodeWav(audio, RATE));
  return { reference: samples.map((s) => s.reference).join(' '), seconds: audio.length / RATE };
}

// Scripts run inside the page (as text: this project's TypeScript has no DOM library), each recording what the
// test then reads back with page.evaluate.

/** When the first partial and the first final line appear in the live transcript (performance.now()). */
const WATCH_TRANSCRIPT = `
  window.transcriptSeen = {};
  new MutationObserver(() => {
    const list = document.getElementById('live-transcript');
    const seen = window.transcriptSeen;
    if (!list) return;
    if (seen.partial === undefined && list.querySelector('li.partial')) seen.partial = performance.now();
    if (seen.final === undefined && list.querySelector('li.final')) seen.final = performance.now();
  }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['class'] });
`;

/** Every value the job progress bar takes while it is shown. */
const WATCH_PROGRESS = `
  window.progressValues = [];
  new MutationObserver(() => {
    const bar = document.getElementById('file-progress');
    const box = document.getElementById('file-progress-box');
    const values = window.progressValues;
    if (bar && box && !box.hidden && values.at(-1) !== bar.value) values.push(bar.value);
  }).observe(document, { subtree: true, childList: true, attributes: true });
`;

async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

describe('the browser demo, driven in Debian Chromium', () => {
  let t: TestApp;
  let dir: string;
  let browser: Browser;
  let context: BrowserContext;
  let live: { reference: string; seconds: number };
  const liveWav = (): string => join(dir, 'microphone.wav');

  beforeAll(async () => {
    // One stream at a time: the server-full case needs the cap, and the other tests stream one at a time.
    t = await startTestApp({ env: { STREAMING_MAX_CLIENTS: '1', LOCAL_ASR_CONCURRENCY: '2' } });
    dir = mkdtempSync(join(tmpdir(), 'asr-demo-'));
    // What the microphone hears: a LibriVox recording and five sentences read by festival's HTS voice.
    const sentences = await mapLimit(corpusSentences().slice(0, 5), 2, (text) =>
      synthesise(text, 'festival-slt-hts', dir, `live-${corpusSentences().indexOf(text)}`),
    );
    live = concatenate([librivoxSamples()[0]!, ...sentences], liveWav(), 1.2);
    browser = await launchChromium(liveWav());
    context = await browser.newContext({ acceptDownloads: true });
    await context.grantPermissions(['microphone'], { origin: t.url });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('Live tab: binary PCM frames over the WebSocket, partials before finals, finals within 35% WER', async () => {
    const page = await context.newPage();
    const frames: number[] = [];
    /** Blocks of digital silence: a starved audio thread in the browser fills what it dropped with zeros. */
    let silentBlocks = 0;
    page.on('websocket', (socket) =>
      socket.on('framesent', (frame) => {
        if (typeof frame.payload === 'string') return;
        frames.push(frame.payload.length);
        if (frame.payload.every((byte) => byte === 0)) silentBlocks += 1;
      }),
    );
    await page.addInitScript({ content: WATCH_TRANSCRIPT });
    await page.goto(`${t.url}/`);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.waitForTimeout((live.seconds + 1.5) * 1000);
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByText('Stopped.').waitFor({ timeout: 60_000 });

    const finals = await page.locator('#live-transcript li.final .text').allTextContents();
    const times = await page.locator('#live-transcript li.final .time').allTextContents();
    const seen = await page.evaluate<{ partial?: number; final?: number }>('window.transcriptSeen');
    const wer = corpusWer([{ reference: live.reference, hypothesis: finals.join(' ') }]);
    console.log(
      `demo live: ${frames.length} binary frames (${silentBlocks} all zeros), ${finals.length} finals, first partial ${seen.partial?.toFixed(0)} ms, first final ${seen.final?.toFixed(0)} ms, WER ${wer.toFixed(2)}% over ${live.seconds.toFixed(1)} s: "${finals.join(' | ')}"`,
    );
    await page.screenshot({ path: artifactPath('demo-live.png'), fullPage: true });

    // 100 ms of 16 kHz 16-bit mono per frame, for about as long as the microphone played.
    expect(frames.length).toBeGreaterThanOrEqual(Math.floor(live.seconds * 10 * 0.9));
    expect(new Set(frames)).toEqual(new Set([3200]));
    expect(seen.partial).toBeDefined();
    expect(seen.final).toBeDefined();
    expect(seen.partial!).toBeLessThan(seen.final!);
    expect(finals.length).toBeGreaterThanOrEqual(4);
    for (const time of times) expect(time).toMatch(/^\d+:\d\d\.\d–\d+:\d\d\.\d$/);
    expect(wer).toBeLessThanOrEqual(35);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('Live tab at the stream cap: the server-full message, and the microphone released', async () => {
    const occupant = await connect(streamUrl(t.url));
    try {
      const page = await context.newPage();
      await page.goto(`${t.url}/`);
      await page.getByRole('button', { name: 'Start' }).click();
      const alert = page.locator('#live-alert');
      await alert.getByText('The server is full').waitFor({ timeout: 15_000 });
      expect(await alert.textContent()).toMatch(/already serving as many live streams as it allows/);
      expect(await page.getByRole('button', { name: 'Start' }).isEnabled()).toBe(true);
      expect(await page.getByRole('button', { name: 'Stop' }).isDisabled()).toBe(true);
      await page.close();
    } finally {
      occupant.socket.close();
      await occupant.run;
    }
  });

  it('File tab: a short upload is transcribed in one request and downloads as a valid .srt', async () => {
    const sentences = await mapLimit(corpusSentences().slice(4, 7), 3, (text) =>
      synthesise(text, 'flite-slt', dir, `short-${corpusSentences().indexOf(text)}`),
    );
    const short = concatenate(sentences, join(dir, 'short.wav'), 0.8);
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(`${request.method()} ${new URL(request.url()).pathname}`));
    await page.goto(`${t.url}/`);
    await page.getByRole('tab', { name: 'File' }).click();
    await page.getByLabel('Audio or video file').setInputFiles(join(dir, 'short.wav'));
    await page.getByLabel('Download as').selectOption('srt');
    await page.getByRole('button', { name: 'Transcribe' }).click();
    const link = page.getByRole('link', { name: 'Download short.srt' });
    await link.waitFor({ timeout: 60_000 });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    const srt = readFileSync(await download.path(), 'utf8');
    const cues = parseSync(srt).flatMap((node) => (node.type === 'cue' ? [node.data] : []));
    const rows = await page.locator('#file-segments tr').count();
    const wer = corpusWer([{ reference: short.reference, hypothesis: cues.map((cue) => cue.text).join(' ') }]);
    console.log(
      `demo file (short): ${cues.length} cues, ${rows} rows, WER ${wer.toFixed(2)}% over ${short.seconds.toFixed(1)} s`,
    );

    expect(requests).toContain('POST /api/v1/transcribe');
    expect(requests).not.toContain('POST /api/v1/jobs');
    expect(download.suggestedFilename()).toBe('short.srt');
    expect(cues.length).toBeGreaterThanOrEqual(1);
    expect(rows).toBe(cues.length);
    for (const [i, cue] of cues.entries()) {
      expect(cue.end).toBeGreaterThan(cue.start);
      if (i > 0) expect(cue.start).toBeGreaterThanOrEqual(cues[i - 1]!.end);
      expect(cue.end).toBeLessThanOrEqual(short.seconds * 1000 + 1);
    }
    expect(wer).toBeLessThanOrEqual(35);
    await page.close();
  });

  it('File tab: a long file goes through the jobs API, its progress bar rising to completion', async () => {
    const sentences = await mapLimit(corpusSentences(), 4, (text) =>
      synthesise(text, 'flite-slt', dir, `long-${corpusSentences().indexOf(text)}`),
    );
    const long = concatenate(sentences, join(dir, 'long.wav'), 1.5);
    const page = await context.newPage();
    const requests: string[] = [];
    page.on('request', (request) => requests.push(`${request.method()} ${new URL(request.url()).pathname}`));
    await page.addInitScript({ content: WATCH_PROGRESS });
    await page.goto(`${t.url}/`);
    await page.getByRole('tab', { name: 'File' }).click();
    await page.getByLabel('Audio or video file').setInputFiles(join(dir, 'long.wav'));
    await page.getByLabel('Download as').selectOption('vtt');
    await page.getByRole('button', { name: 'Transcribe' }).click();
    await page.getByLabel('Job progress').waitFor({ timeout: 15_000 });
    await page.getByRole('link', { name: 'Download long.vtt' }).waitFor({ timeout: 180_000 });
    const values = await page.evaluate<number[]>('window.progressValues');
    const text = await page.locator('#file-text').textContent();
    const wer = corpusWer([{ reference: long.reference, hypothesis: text ?? '' }]);
    console.log(
      `demo file (long, ${long.seconds.toFixed(1)} s): progress ${values.join(' → ')}, WER ${wer.toFixed(2)}%`,
    );
    await page.screenshot({ path: artifactPath('demo-file.png'), fullPage: true });

    expect(long.seconds).toBeGreaterThan(60);
    expect(requests).toContain('POST /api/v1/jobs');
    expect(requests.some((r) => /^GET \/api\/v1\/jobs\/[0-9a-f-]+\/events$/.test(r))).toBe(true);
    expect(requests).not.toContain('POST /api/v1/transcribe');
    expect(values.some((v) => v > 0 && v < 1)).toBe(true);
    expect(values.at(-1)).toBe(1);
    for (let i = 1; i < values.length; i++) expect(values[i]).toBeGreaterThanOrEqual(values[i - 1]!);
    expect(wer).toBeLessThanOrEqual(35);
    expect(await seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it('Live tab: a dropped connection is announced and reconnected; the transcript keeps both sessions, times running on', async () => {
    // Two sentences 6 s apart: the first session is cut after the first final, the second sentence goes to the next.
    const sentences = await mapLimit(corpusSentences().slice(7, 9), 2, (text) =>
      synthesise(text, 'festival-slt-hts', dir, `reconnect-${corpusSentences().indexOf(text)}`),
    );
    const audio = concatenate(sentences, join(dir, 'reconnect.wav'), 6, 1.2);
    const droppingBrowser = await launchChromium(join(dir, 'reconnect.wav'));
    try {
      const dropping = await droppingBrowser.newContext();
      await dropping.grantPermissions(['microphone'], { origin: t.url });
      const page = await dropping.newPage();
      let connections = 0;
      // Between the page and the server: the first connection is dropped (1011) right after its first final.
      await page.routeWebSocket(/\/api\/v1\/stream/, (socket) => {
        connections += 1;
        const server = socket.connectToServer();
        if (connections > 1) return;
        server.onMessage((message) => {
          socket.send(message);
          if (typeof message === 'string' && message.includes('"transcript.final"')) {
            void socket.close({ code: 1011, reason: 'network failure (test)' });
            void server.close();
          }
        });
      });
      await page.goto(`${t.url}/`);
      await page.getByRole('button', { name: 'Start' }).click();
      await page.locator('#live-alert').getByText('Connection lost').waitFor({ timeout: 30_000 });
      await page.locator('#live-transcript li.final').nth(1).waitFor({ timeout: 40_000 });
      await page.getByRole('button', { name: 'Stop' }).click();
      await page.getByText('Stopped.').waitFor({ timeout: 30_000 });
      const finals = await page.locator('#live-transcript li.final .text').allTextContents();
      const times = (await page.locator('#live-transcript li.final .time').allTextContents()).map((range) =>
        range.split('–').map((clock) => {
          const [m, s] = clock.split(':');
          return Number(m) * 60 + Number(s);
        }),
      );
      const wer = corpusWer([{ reference: audio.reference, hypothesis: finals.join(' ') }]);
      console.log(
        `demo reconnect: ${connections} connections, finals at ${JSON.stringify(times)}, WER ${wer.toFixed(2)}%`,
      );

      expect(connections).toBe(2);
      expect(finals).toHaveLength(2);
      expect(await page.locator('#live-alert').isHidden()).toBe(true);
      // The second session's clock starts at zero; the page adds the audio sent before, so times run on.
      expect(times[1]![0]!).toBeGreaterThan(times[0]![1]!);
      expect(times[1]![0]!).toBeGreaterThan(audio.seconds / 2 - 1);
      expect(wer).toBeLessThanOrEqual(35);
    } finally {
      await droppingBrowser.close();
    }
  });

  it('is keyboard operable: arrow keys move between the tabs, Tab moves into the chosen panel', async () => {
    const page = await context.newPage();
    await page.goto(`${t.url}/`);
    const focused = (): Promise<string> => page.evaluate<string>('document.activeElement.id');
    await page.focus('#tab-live');
    await page.keyboard.press('ArrowRight');
    expect(await focused()).toBe('tab-file');
    expect(await page.getByRole('tab', { name: 'File' }).getAttribute('aria-selected')).toBe('true');
    expect(await page.locator('#panel-file').isVisible()).toBe(true);
    expect(await page.locator('#panel-live').isVisible()).toBe(false);
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('file-input');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Home');
    expect(await focused()).toBe('tab-live');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('live-language');
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('live-start');
    await page.close();
  });

  it('Live tab without microphone permission: says how to allow it', async () => {
    const denied = await browser.newContext();
    const page = await denied.newPage();
    await page.goto(`${t.url}/`);
    await page.getByRole('button', { name: 'Start' }).click();
    await page.locator('#live-alert').getByText('Microphone access was denied').waitFor({ timeout: 15_000 });
    expect(await page.getByRole('button', { name: 'Start' }).isEnabled()).toBe(true);
    await denied.close();
  });
});

describe('the browser demo on a server with API keys', () => {
  const KEY = `demo-key-${Date.now().toString(36)}`;
  let t: TestApp;
  let browser: Browser;

  beforeAll(async () => {
    t = await startTestApp({ env: { API_KEYS: KEY, SECRET_KEY: 'a-secret-key-of-thirty-two-chars!!' } });
    browser = await launchChromium(librivoxSamples()[2]!.file);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('asks for the key once, streams with a minted token (never the key in the URL), uploads with the key', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['microphone'], { origin: t.url });
    const page = await context.newPage();
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    await page.goto(`${t.url}/`);
    const dialog = page.getByRole('dialog', { name: 'API key' });
    await dialog.waitFor({ timeout: 10_000 });
    expect(await seriousViolations(page)).toEqual([]);
    await dialog.getByLabel('API key').fill(KEY);
    await dialog.getByRole('button', { name: 'Use this key' }).click();
    await page.getByText('Engine: local').waitFor({ timeout: 10_000 });

    await page.getByRole('button', { name: 'Start' }).click();
    await page.locator('#live-transcript li.final').first().waitFor({ timeout: 40_000 });
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByText('Stopped.').waitFor({ timeout: 30_000 });
    expect(sockets).toHaveLength(1);
    expect(new URL(sockets[0]!).searchParams.get('token')).toMatch(/^st1\./);
    expect(sockets[0]).not.toContain(KEY);

    await page.getByRole('tab', { name: 'File' }).click();
    await page.getByLabel('Audio or video file').setInputFiles(librivoxSamples()[3]!.file);
    await page.getByRole('button', { name: 'Transcribe' }).click();
    await page.locator('#file-download').getByText('Download').waitFor({ timeout: 60_000 });
    expect(await page.getByRole('dialog', { name: 'API key' }).isVisible()).toBe(false);
    expect(t.logs.text).not.toContain(KEY);
    await context.close();
  });
});
