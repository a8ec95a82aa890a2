// @ts-check
import { api, checkKey, streamCredentials } from './auth.js';
import { clock } from './formats.js';
import { parseJson } from './json.js';
import { Microphone, MicrophoneError } from './microphone.js';

const SAMPLE_RATE = 16_000;
/** Audio kept while reconnecting, so speech during a short outage still gets transcribed: 20 s of blocks. */
const MAX_BUFFERED_BLOCKS = 200;
const RECONNECT_DELAYS_S = [1, 2, 4, 8, 15, 30];
/** Close codes after which reconnecting cannot help: the client must change something first. */
const NO_RECONNECT = new Set([1008, 1009, 1013]);

/** @param {string} language @param {string | undefined} token */
function streamUrl(language, token) {
  const url = api('api/v1/stream');
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('sample_rate', String(SAMPLE_RATE));
  url.searchParams.set('encoding', 'pcm_s16le');
  if (language) url.searchParams.set('language', language);
  if (token) url.searchParams.set('token', token);
  return url.href;
}

/**
 * @typedef {{ start: HTMLButtonElement, stop: HTMLButtonElement, clear: HTMLButtonElement, language: HTMLSelectElement,
 *   level: HTMLMeterElement, speech: HTMLElement, status: HTMLElement, alert: HTMLElement, transcript: HTMLOListElement }} LiveElements
 */

/** The Live tab: microphone → WebSocket → partial and final transcripts, reconnecting without losing the transcript. */
export class LiveTab {
  /** @param {LiveElements} ui */
  constructor(ui) {
    this.ui = ui;
    this.microphone = new Microphone(
      (pcm) => this.send(pcm),
      (level) => (ui.level.value = level),
    );
    /** @type {WebSocket | undefined} */ this.socket = undefined;
    this.running = false;
    this.stopping = false;
    /** Sessions so far in this run: segment ids restart with each, so they key the transcript lines. */
    this.session = 0;
    /** Seconds of audio sent in earlier sessions of this run: each session's clock starts at zero. */
    this.offsetS = 0;
    this.sentSamples = 0;
    /** @type {ArrayBuffer[]} */ this.pending = [];
    this.attempt = 0;
    /** @type {number | undefined} */ this.retryTimer = undefined;
    /** @type {{ code: string, message: string, retry_after?: number } | undefined} */ this.lastError = undefined;
    /** @type {Map<string, HTMLLIElement>} */ this.lines = new Map();
    ui.start.addEventListener('click', () => void this.start());
    ui.stop.addEventListener('click', () => void this.stop());
    ui.clear.addEventListener('click', () => this.clear());
    ui.language.addEventListener('change', () => this.configure());
  }

  async start() {
    if (this.running) return;
    this.showAlert('');
    this.setRunning(true);
    this.status('Starting the microphone…');
    try {
      await this.microphone.start();
    } catch (error) {
      this.setRunning(false);
      this.status('');
      this.showAlert(error instanceof MicrophoneError ? error.message : `Could not start: ${String(error)}`);
      return;
    }
    this.offsetS = 0;
    this.sentSamples = 0;
    this.attempt = 0;
    await this.connect();
  }

  async stop() {
    if (!this.running) return;
    this.stopping = true;
    clearTimeout(this.retryTimer);
    await this.microphone.stop();
    this.flushPending();
    const socket = this.socket;
    if (socket?.readyState === WebSocket.OPEN) {
      this.status('Finishing the last utterance…');
      // The server finalises what it has heard, sends the last finals and closes; wait for it, within reason.
      socket.send(JSON.stringify({ type: 'close' }));
      const forceClose = setTimeout(() => socket.close(1000), 15_000);
      socket.addEventListener('close', () => clearTimeout(forceClose));
    } else {
      socket?.close(1000);
      this.finish('Stopped.');
    }
  }

  clear() {
    this.lines.clear();
    this.ui.transcript.replaceChildren();
  }

  async connect() {
    const session = ++this.session;
    const credentials = await streamCredentials().catch(() => ({ token: undefined, authRequired: false }));
    if (!this.running || this.stopping) return;
    const socket = new WebSocket(streamUrl(this.ui.language.value, credentials.token));
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    let opened = false;
    this.lastError = undefined;
    socket.onopen = () => {
      opened = true;
      this.attempt = 0;
      this.showAlert('');
      this.flushPending();
    };
    socket.onmessage = (event) => {
      if (typeof event.data === 'string')
        this.handle(session, /** @type {import('./api-types').ServerEvent} */ (parseJson(event.data)));
    };
    socket.onclose = (event) => void this.closed(socket, opened, event);
  }

  /** @param {ArrayBuffer} pcm */
  send(pcm) {
    if (!this.running || this.stopping) return;
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(pcm);
      this.sentSamples += pcm.byteLength / 2;
    } else {
      this.pending.push(pcm);
      if (this.pending.length > MAX_BUFFERED_BLOCKS) this.pending.shift();
    }
  }

  flushPending() {
    const blocks = this.pending;
    this.pending = [];
    for (const pcm of blocks) {
      if (this.socket?.readyState !== WebSocket.OPEN) return;
      this.socket.send(pcm);
      this.sentSamples += pcm.byteLength / 2;
    }
  }

  configure() {
    if (this.socket?.readyState === WebSocket.OPEN)
      this.socket.send(JSON.stringify({ type: 'configure', language: this.ui.language.value || undefined }));
  }

  /** @param {number} session @param {import('./api-types').ServerEvent} event */
  handle(session, event) {
    switch (event.type) {
      case 'session.started':
        this.status('Listening. Speak now.');
        break;
      case 'speech.started':
        this.speaking(true);
        // The line exists from the start of the utterance, so lines keep the order of speech even when a later
        // utterance's partial arrives before an earlier one's final (partials are skipped while decoders are busy).
        this.line(session, event.segment_id, 'pending', '…');
        break;
      case 'speech.stopped':
        this.speaking(false);
        break;
      case 'transcript.partial':
        this.line(session, event.segment_id, 'partial', event.text, event.start, event.end);
        break;
      case 'transcript.final':
        if (event.error) this.line(session, event.segment_id, 'failed', `(not transcribed: ${event.error.message})`);
        else this.line(session, event.segment_id, 'final', event.text, event.start, event.end);
        break;
      case 'error':
        this.lastError = event;
        if (!event.fatal) this.status(`The server reported: ${event.message}`);
        break;
      case 'session.closed':
        // The close event that follows decides what happens next.
        break;
    }
  }

  /**
   * One utterance's line: a partial in a lighter style, replaced by its final with the time range.
   * @param {number} session @param {number} segment @param {'pending' | 'partial' | 'final' | 'failed'} kind
   * @param {string} text
   * @param {number} [start] @param {number} [end]
   */
  line(session, segment, kind, text, start, end) {
    const key = `${session}:${segment}`;
    let item = this.lines.get(key);
    if (kind === 'final' && !text.trim()) {
      item?.remove();
      this.lines.delete(key);
      return;
    }
    // A late speech.started never demotes a line that already has text.
    if (item && kind === 'pending') return;
    if (!item) {
      item = document.createElement('li');
      this.lines.set(key, item);
      this.ui.transcript.append(item);
    }
    item.className = kind;
    const time = document.createElement('span');
    time.className = 'time';
    time.textContent =
      start === undefined || end === undefined ? '' : `${clock(start + this.offsetS)}–${clock(end + this.offsetS)}`;
    const words = document.createElement('span');
    words.className = 'text';
    words.textContent = text;
    item.replaceChildren(time, words);
    item.scrollIntoView({ block: 'nearest' });
  }

  /** @param {WebSocket} socket @param {boolean} opened @param {CloseEvent} event */
  async closed(socket, opened, event) {
    if (socket !== this.socket) return;
    this.speaking(false);
    this.offsetS += this.sentSamples / SAMPLE_RATE;
    this.sentSamples = 0;
    if (this.stopping || !this.running) return this.finish('Stopped.');
    const error = this.lastError;
    if (error?.code === 'server_full' || event.code === 1013) {
      const wait = error?.retry_after ? ` Try again in about ${Math.ceil(error.retry_after)} s.` : ' Try again later.';
      await this.fail(`The server is full: it is already serving as many live streams as it allows.${wait}`);
      return;
    }
    // A refused handshake looks like any lost connection: ask the API whether it wants a key this tab lacks.
    const key = opened ? 'accepted' : await checkKey().catch(() => 'accepted');
    if (key === 'entered') {
      await this.connect();
      return;
    }
    if (key === 'declined') {
      await this.fail('This server requires an API key for live transcription. Press Start to enter one.');
      return;
    }
    if (NO_RECONNECT.has(event.code)) {
      await this.fail(`The server ended the stream: ${error?.message ?? (event.reason || `close code ${event.code}`)}`);
      return;
    }
    const delay = RECONNECT_DELAYS_S[Math.min(this.attempt, RECONNECT_DELAYS_S.length - 1)];
    this.attempt += 1;
    // A session that reached its maximum length ends normally (4002): carry on in a new one at once.
    const seconds = event.code === 4002 ? 0 : delay;
    this.showAlert(
      seconds === 0
        ? ''
        : `Connection lost${event.reason ? ` (${event.reason})` : ''}. Reconnecting in ${seconds} s; the transcript is kept.`,
    );
    this.retryTimer = window.setTimeout(() => {
      if (this.running && !this.stopping) void this.connect();
    }, seconds * 1000);
  }

  /** @param {string} message */
  async fail(message) {
    this.showAlert(message);
    await this.microphone.stop();
    this.finish('');
  }

  /** @param {string} message */
  finish(message) {
    this.pending = [];
    this.socket = undefined;
    this.setRunning(false);
    this.stopping = false;
    this.status(message);
  }

  /** @param {boolean} running */
  setRunning(running) {
    this.running = running;
    this.ui.start.disabled = running;
    this.ui.stop.disabled = !running;
    if (!running) this.speaking(false);
  }

  /** @param {boolean} on */
  speaking(on) {
    this.ui.speech.dataset['speaking'] = String(on);
    this.ui.speech.textContent = on ? 'Speech' : 'Silence';
  }

  /** @param {string} message */
  status(message) {
    this.ui.status.textContent = message;
  }

  /** @param {string} message */
  showAlert(message) {
    this.ui.alert.textContent = message;
    this.ui.alert.hidden = message === '';
  }
}
