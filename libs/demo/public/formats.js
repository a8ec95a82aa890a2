// @ts-check
/**
 * Transcript files from the transcript model (`segments[{start, end, text}]`) the API returns, so the page offers
 * every download after one transcription instead of sending the audio again for each format.
 */

/**
 * @typedef {import('./api-types').Segment} Segment
 * @typedef {import('./api-types').Transcript} Transcript
 */

/**
 * @param {number} seconds
 * @param {string} decimal the separator before milliseconds: "," in SubRip, "." in WebVTT
 */
export function timestamp(seconds, decimal) {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor(ms / 60_000) % 60;
  const s = Math.floor(ms / 1000) % 60;
  const pad = (/** @type {number} */ n, /** @type {number} */ width) => String(n).padStart(width, '0');
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${decimal}${pad(ms % 1000, 3)}`;
}

/** m:ss.s, for times shown on the page. @param {number} seconds */
export function clock(seconds) {
  const tenths = Math.max(0, Math.round(seconds * 10));
  const m = Math.floor(tenths / 600);
  const s = (tenths % 600) / 10;
  return `${m}:${s.toFixed(1).padStart(4, '0')}`;
}

/** @param {Segment[]} segments */
function spoken(segments) {
  return segments.filter((segment) => segment.text.trim() !== '');
}

/** @param {Transcript} transcript */
export function toSrt(transcript) {
  return spoken(transcript.segments)
    .map((s, i) => `${i + 1}\n${timestamp(s.start, ',')} --> ${timestamp(s.end, ',')}\n${s.text.trim()}\n`)
    .join('\n');
}

/** @param {Transcript} transcript */
export function toVtt(transcript) {
  const cues = spoken(transcript.segments).map(
    (s) => `${timestamp(s.start, '.')} --> ${timestamp(s.end, '.')}\n${s.text.trim()}\n`,
  );
  return ['WEBVTT\n', ...cues].join('\n');
}

/** @param {Transcript} transcript */
export function toText(transcript) {
  return `${transcript.text.trim()}\n`;
}

/** @type {Record<string, { extension: string, type: string, render: (t: Transcript) => string }>} */
export const DOWNLOADS = {
  srt: { extension: 'srt', type: 'application/x-subrip', render: toSrt },
  vtt: { extension: 'vtt', type: 'text/vtt', render: toVtt },
  txt: { extension: 'txt', type: 'text/plain', render: toText },
};
