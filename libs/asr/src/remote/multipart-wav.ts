import { randomBytes } from 'node:crypto';
import { encodeWav, TARGET_SAMPLE_RATE } from '@asr/audio';

/**
 * One request slot's multipart/form-data body (RFC 7578): the audio as a 16-bit WAV file part, then the fields,
 * written into a buffer reused call after call. The SDK's own multipart path (toFile, FormData) copies the audio
 * three times into fresh buffers for every final; at a few hundred live streams those copies were what set off
 * most full collections after the utterance buffers (docs/benchmarks.md). Fields are encoded as the SDK encodes
 * them: arrays as `name[]` once per element, objects as `name[key]`.
 */
export class MultipartWav {
  private buffer: Buffer;
  /** The boundary and the file part's head, fixed for this body (the head's length is even: see `write`). */
  private readonly boundary: string;
  private readonly head: Buffer;

  constructor(initialBytes: number) {
    // 22 or 23 hex digits, whichever makes the WAV start at an even offset (its samples are then written through a
    // 16-bit view, the fast path of encodeWav).
    let boundary = `----asr-api-${randomBytes(12).toString('hex')}`;
    if (fileHead(boundary).length % 2 === 1) boundary = boundary.slice(0, -1);
    this.boundary = boundary;
    this.head = Buffer.from(fileHead(boundary));
    this.buffer = Buffer.allocUnsafe(initialBytes);
  }

  get contentType(): string {
    return `multipart/form-data; boundary=${this.boundary}`;
  }

  /** The body for `samples` and `fields`: a view of the reused buffer, valid until the next `write`. */
  write(samples: Float32Array, fields: Record<string, unknown>): Buffer {
    const tail = Buffer.from(
      [...formEntries(fields)].map(([name, value]) => `\r\n${part(this.boundary, name)}${value}`).join('') +
        `\r\n--${this.boundary}--\r\n`,
    );
    const wavBytes = 44 + samples.length * 2;
    const total = this.head.length + wavBytes + tail.length;
    if (this.buffer.length < total) this.buffer = Buffer.allocUnsafe(total);
    this.head.copy(this.buffer, 0);
    encodeWav(samples, TARGET_SAMPLE_RATE, this.buffer.subarray(this.head.length, this.head.length + wavBytes));
    tail.copy(this.buffer, this.head.length + wavBytes);
    return this.buffer.subarray(0, total);
  }
}

function fileHead(boundary: string): string {
  return `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="audio.wav"\r\nContent-Type: audio/wav\r\n\r\n`;
}

function part(boundary: string, name: string): string {
  return `--${boundary}\r\nContent-Disposition: form-data; name="${escapeFormName(name)}"\r\n\r\n`;
}

/** A field or file name in a Content-Disposition header, escaped as the WHATWG multipart encoder does. */
export function escapeFormName(name: string): string {
  return name.replace(/\n/g, '%0A').replace(/\r/g, '%0D').replace(/"/g, '%22');
}

/** The form's entries, as the SDK flattens a request's fields (undefined left out). */
function* formEntries(fields: Record<string, unknown>, prefix?: string): Generator<[string, string]> {
  for (const [key, value] of Object.entries(fields))
    yield* formValue(prefix === undefined ? key : `${prefix}[${key}]`, value);
}

function* formValue(name: string, value: unknown): Generator<[string, string]> {
  if (value === undefined || value === null) return;
  if (Array.isArray(value)) {
    for (const entry of value as unknown[]) yield* formValue(`${name}[]`, entry);
  } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    yield [name, String(value)];
  } else if (typeof value === 'object') {
    yield* formEntries(value as Record<string, unknown>, name);
  } else {
    throw new TypeError(`${name}: a form field must be a string, number, boolean, array or object`);
  }
}
