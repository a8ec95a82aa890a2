import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { AudioError } from './audio-error';
import { decodeWithFfmpeg, type FfmpegOptions } from './ffmpeg-decoder';
import { readFileBlocks, readHead } from './file-blocks';
import { TARGET_SAMPLE_RATE } from './pcm';
import { Resampler } from './resampler';
import { TempFiles } from './temp-files';
import { isWav, WavStreamDecoder } from './wav-stream-decoder';

export interface DecodeOptions {
  /** Longer audio is refused with `audio_too_long`; defaults to MAX_UPLOAD_DURATION_S. */
  maxDurationS?: number;
  signal?: AbortSignal;
}

const SNIFF_BYTES = 12;
/** Bytes of decoded audio per second: 16 kHz, 16-bit mono (what MAX_DECODE_RATIO compares with the upload). */
const PCM_BYTES_PER_S = TARGET_SAMPLE_RATE * 2;

/** How many bytes of the upload have been read so far (a file's size is known at once; a stream's grows). */
interface InputSize {
  bytes: number;
}

/** Passes the bytes through, counting them into `size`. */
async function* counted(source: AsyncIterable<Buffer>, size: InputSize): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    size.bytes += chunk.length;
    yield chunk;
  }
}

/** ISO base media (MP4, M4A, MOV): `ftyp` at offset 4. Its index may sit at the end, so ffmpeg needs a file. */
function isIsoMedia(head: Buffer): boolean {
  return head.length >= 8 && head.toString('ascii', 4, 8) === 'ftyp';
}

/** Reads the first bytes, then yields them and the rest unchanged. */
async function sniff(source: AsyncIterable<Buffer>): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const iterator = source[Symbol.asyncIterator]();
  const parts: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < SNIFF_BYTES) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    parts.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(parts);
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > 0) yield head;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head, rest: rest() };
}

/**
 * Any upload → 16 kHz mono float blocks, streamed: WAV is parsed here; everything else goes through ffmpeg.
 * Memory stays bounded by the block size whatever the length of the recording.
 */
@Injectable()
export class AudioDecoder {
  constructor(
    private readonly config: AppConfig,
    private readonly tempFiles: TempFiles,
  ) {}

  /** Decodes bytes as they arrive (a stream with no file behind it). */
  async *decode(source: AsyncIterable<Buffer>, options: DecodeOptions = {}): AsyncGenerator<Float32Array> {
    const size: InputSize = { bytes: 0 };
    const { head, rest } = await sniff(counted(source, size));
    yield* this.limited(head, size, this.decodeByFormat(head, rest, options.signal), options);
  }

  /**
   * Decodes a file on disk (a spooled upload): WAV is read through one reused buffer, MP4-family files are given
   * to ffmpeg by path (their index may sit at the end), everything else is piped to ffmpeg.
   */
  async *decodeFile(path: string, options: DecodeOptions = {}): AsyncGenerator<Float32Array> {
    const head = await readHead(path, SNIFF_BYTES);
    const size: InputSize = { bytes: (await stat(path)).size };
    const blocks = isWav(head)
      ? this.decodeWav(readFileBlocks(path))
      : isIsoMedia(head)
        ? decodeWithFfmpeg({ file: path }, this.ffmpegOptions(options.signal))
        : decodeWithFfmpeg(
            { stdin: createReadStream(path, { highWaterMark: 256 * 1024 }) },
            this.ffmpegOptions(options.signal),
          );
    yield* this.limited(head, size, blocks, options);
  }

  /**
   * Blocks are valid until the next is requested (buffers are reused). Refuses audio above the duration cap, and
   * audio that decodes to more than MAX_DECODE_RATIO times the upload's size (a few KB of FLAC that expand to hours
   * of silence) as soon as decoding passes it, so such a file costs a moment of decoding instead of hours of VAD.
   */
  private async *limited(
    head: Buffer,
    input: InputSize,
    blocks: AsyncIterable<Float32Array>,
    options: DecodeOptions,
  ): AsyncGenerator<Float32Array> {
    const maxDurationS = options.maxDurationS ?? this.config.audio.maxUploadDurationS;
    const maxSamples = Math.floor(maxDurationS * TARGET_SAMPLE_RATE);
    const ratio = this.config.audio.maxDecodeRatio;
    if (head.length === 0) throw new AudioError('empty_audio', 'the upload is empty');
    let samples = 0;
    for await (const block of blocks) {
      samples += block.length;
      if (samples > maxSamples) {
        throw new AudioError('audio_too_long', `the audio is longer than the ${maxDurationS} s allowed`);
      }
      if (samples * 2 > ratio * input.bytes) {
        const kbps = Math.round(((input.bytes * 8) / (samples / TARGET_SAMPLE_RATE) / 1000) * 100) / 100;
        throw new AudioError(
          'decode_ratio_exceeded',
          `the upload (${input.bytes} bytes) decodes to more than MAX_DECODE_RATIO=${ratio} times its size ` +
            `(${kbps} kbps so far; the limit lets ${Math.round(((PCM_BYTES_PER_S * 8) / ratio / 1000) * 100) / 100} kbps through): ` +
            'send the recording at a higher bitrate, or trim its silence',
        );
      }
      if (block.length > 0) yield block;
    }
    if (samples === 0) throw new AudioError('empty_audio', 'the upload holds no audio samples');
  }

  private ffmpegOptions(signal: AbortSignal | undefined): FfmpegOptions {
    return { ffmpegPath: this.config.audio.ffmpegPath, timeoutMs: this.config.audio.ffmpegTimeoutS * 1000, signal };
  }

  private decodeByFormat(head: Buffer, rest: AsyncIterable<Buffer>, signal?: AbortSignal): AsyncIterable<Float32Array> {
    if (isWav(head)) return this.decodeWav(rest);
    const ffmpeg = this.ffmpegOptions(signal);
    if (isIsoMedia(head)) return this.decodeSpooled(rest, ffmpeg);
    return decodeWithFfmpeg({ stdin: rest }, ffmpeg);
  }

  private async *decodeWav(source: AsyncIterable<Buffer>): AsyncGenerator<Float32Array> {
    const wav = new WavStreamDecoder();
    let resampler: Resampler | undefined;
    for await (const chunk of source) {
      const block = wav.push(chunk);
      const format = wav.wavFormat;
      if (!format || block.length === 0) continue;
      resampler ??= new Resampler(format.sampleRate, TARGET_SAMPLE_RATE);
      yield resampler.push(block);
    }
    wav.finish();
    if (resampler) yield resampler.flush();
  }

  private async *decodeSpooled(source: AsyncIterable<Buffer>, ffmpeg: FfmpegOptions): AsyncGenerator<Float32Array> {
    const path = await this.tempFiles.path('.upload');
    try {
      await pipeline(Readable.from(source), createWriteStream(path));
      yield* decodeWithFfmpeg({ file: path }, ffmpeg);
    } finally {
      await this.tempFiles.remove(path);
    }
  }
}
