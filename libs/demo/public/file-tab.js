// @ts-check
import { apiFetch } from './auth.js';
import { clock, DOWNLOADS } from './formats.js';
import { parseJson, readJson } from './json.js';

/** Files longer than this go through the jobs API, with progress, instead of one long request. */
export const LONG_FILE_S = 60;
/** When the browser cannot tell a file's duration, its size decides (about a minute of 128 kbit/s audio and more). */
const LONG_FILE_BYTES = 1_000_000;

/**
 * @typedef {import('./api-types').Transcript} Transcript
 * @typedef {import('./api-types').Job} Job
 * @typedef {{ form: HTMLFormElement, file: HTMLInputElement, language: HTMLSelectElement, format: HTMLSelectElement,
 *   submit: HTMLButtonElement, cancel: HTMLButtonElement, progressBox: HTMLElement, progress: HTMLProgressElement,
 *   progressText: HTMLElement, status: HTMLElement, alert: HTMLElement, result: HTMLElement, text: HTMLElement,
 *   segments: HTMLTableSectionElement, download: HTMLAnchorElement }} FileElements
 */

class RequestFailed extends Error {
  /** @param {number} status @param {string} code @param {string} message */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** @param {Response} response */
async function failure(response) {
  /** @type {import('./api-types').ErrorBody} */
  let body = {};
  try {
    body = /** @type {import('./api-types').ErrorBody} */ (await readJson(response));
  } catch {
    // Not JSON (a proxy's error page): the status text says enough.
  }
  const retry = response.headers.get('retry-after');
  const message = `${body.message ?? response.statusText}${retry ? ` (try again in ${retry} s)` : ''}`;
  return new RequestFailed(response.status, body.code ?? '', message);
}

/**
 * The file's duration from its metadata, or undefined when this browser cannot read it.
 * @param {File} file
 * @returns {Promise<number | undefined>}
 */
function duration(file) {
  return new Promise((resolve) => {
    const audio = document.createElement('audio');
    const url = URL.createObjectURL(file);
    const done = (/** @type {number | undefined} */ seconds) => {
      URL.revokeObjectURL(url);
      clearTimeout(timer);
      resolve(seconds !== undefined && Number.isFinite(seconds) ? seconds : undefined);
    };
    const timer = setTimeout(() => done(undefined), 5000);
    audio.preload = 'metadata';
    audio.onloadedmetadata = () => done(audio.duration);
    audio.onerror = () => done(undefined);
    audio.src = url;
  });
}

/** The File tab: short files through `POST /api/v1/transcribe`, long ones as a job with a progress bar. */
export class FileTab {
  /** @param {FileElements} ui */
  constructor(ui) {
    this.ui = ui;
    /** @type {Transcript | undefined} */ this.transcript = undefined;
    /** @type {string | undefined} */ this.downloadUrl = undefined;
    /** @type {string | undefined} */ this.jobId = undefined;
    this.baseName = 'transcript';
    ui.form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.transcribe();
    });
    ui.format.addEventListener('change', () => this.offerDownload());
    ui.cancel.addEventListener('click', () => void this.cancel());
  }

  async transcribe() {
    const file = this.ui.file.files?.[0];
    if (!file) return this.showAlert('Choose an audio or video file first.');
    this.showAlert('');
    this.ui.result.hidden = true;
    this.ui.submit.disabled = true;
    try {
      const seconds = await duration(file);
      const long = seconds === undefined ? file.size > LONG_FILE_BYTES : seconds > LONG_FILE_S;
      this.show(long ? await this.viaJob(file) : await this.viaRequest(file), file.name);
    } catch (error) {
      this.status('');
      this.showAlert(error instanceof RequestFailed ? `Transcription failed: ${error.message}` : String(error));
    } finally {
      this.ui.submit.disabled = false;
      this.ui.progressBox.hidden = true;
      this.jobId = undefined;
    }
  }

  /** @param {File} file */
  form(file) {
    const body = new FormData();
    body.append('file', file);
    if (this.ui.language.value) body.append('language', this.ui.language.value);
    return body;
  }

  /** @param {File} file @returns {Promise<Transcript>} */
  async viaRequest(file) {
    this.status(`Uploading and transcribing ${file.name}…`);
    const response = await apiFetch('api/v1/transcribe', { method: 'POST', body: this.form(file) });
    if (response.ok) return /** @type {Transcript} */ (await readJson(response));
    const error = await failure(response);
    // Longer than a single request may be: the jobs API takes it.
    if (error.code === 'audio_too_long') return this.viaJob(file);
    throw error;
  }

  /** @param {File} file @returns {Promise<Transcript>} */
  async viaJob(file) {
    this.status(`Uploading ${file.name} as a job…`);
    this.progress(0, undefined);
    this.ui.progressBox.hidden = false;
    const response = await apiFetch('api/v1/jobs', { method: 'POST', body: this.form(file) });
    if (!response.ok) {
      const error = await failure(response);
      if (error.code === 'jobs_unavailable') return this.viaRequest(file);
      throw error;
    }
    const { id } = /** @type {Job} */ (await readJson(response));
    this.jobId = id;
    this.status('Transcribing…');
    const job = await this.follow(id);
    if (job.status === 'cancelled') throw new Error('The job was cancelled.');
    if (job.status !== 'succeeded') throw new Error(`The job failed: ${job.error?.message ?? job.status}`);
    this.progress(1, job.progress.total_seconds);
    const result = await apiFetch(`api/v1/jobs/${id}/result?format=json`);
    if (!result.ok) throw await failure(result);
    return /** @type {Transcript} */ (await readJson(result));
  }

  /**
   * Follows the job's server-sent events to its end. Read with fetch, not EventSource: EventSource cannot send the
   * API key. @param {string} id @returns {Promise<Job>}
   */
  async follow(id) {
    const response = await apiFetch(`api/v1/jobs/${id}/events`);
    if (!response.ok || !response.body) throw await failure(response);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('Lost the connection while the job ran.');
      buffered += value;
      let end;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        const name = /^event: (.*)$/m.exec(event)?.[1];
        const data = /^data: (.*)$/m.exec(event)?.[1];
        if (!name || !data) continue;
        const job = /** @type {Job} */ (parseJson(data));
        if (name === 'progress') this.progress(job.progress.fraction ?? 0, job.progress.total_seconds);
        else {
          await reader.cancel();
          return job;
        }
      }
    }
  }

  async cancel() {
    if (this.jobId) await apiFetch(`api/v1/jobs/${this.jobId}`, { method: 'DELETE' });
  }

  /** @param {number} fraction @param {number | undefined} totalS */
  progress(fraction, totalS) {
    this.ui.progress.value = fraction;
    const percent = `${Math.round(fraction * 100)}%`;
    this.ui.progressText.textContent = totalS === undefined ? percent : `${percent} of ${clock(totalS)} transcribed`;
  }

  /** @param {Transcript} transcript @param {string} name */
  show(transcript, name) {
    this.transcript = transcript;
    this.baseName = name.replace(/\.[^.]*$/, '') || 'transcript';
    this.ui.text.textContent = transcript.text.trim() || '(no speech found)';
    this.ui.segments.replaceChildren(
      ...transcript.segments.map((segment) => {
        const row = document.createElement('tr');
        for (const value of [clock(segment.start), clock(segment.end), segment.text.trim()]) {
          const cell = document.createElement('td');
          cell.textContent = value;
          row.append(cell);
        }
        return row;
      }),
    );
    this.offerDownload();
    this.ui.result.hidden = false;
    this.status(`Transcribed ${name}: ${transcript.segments.length} segments.`);
  }

  offerDownload() {
    if (!this.transcript) return;
    const kind = DOWNLOADS[this.ui.format.value] ?? DOWNLOADS['srt'];
    if (this.downloadUrl) URL.revokeObjectURL(this.downloadUrl);
    const blob = new Blob([kind.render(this.transcript)], { type: `${kind.type};charset=utf-8` });
    this.downloadUrl = URL.createObjectURL(blob);
    this.ui.download.href = this.downloadUrl;
    this.ui.download.download = `${this.baseName}.${kind.extension}`;
    this.ui.download.textContent = `Download ${this.baseName}.${kind.extension}`;
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
