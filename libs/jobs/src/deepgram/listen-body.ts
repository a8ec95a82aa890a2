import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AudioError, PcmStreamDecoder, readFileBlocks, type TempFiles, writeWavFile } from '@asr/audio';
import { ApiError } from '@asr/observability';
import { RAW_ENCODINGS, type RawAudioFormat } from './listen-options';

/** A request body (or a download) on disk, with what Deepgram's metadata reports of it. */
export interface SpooledAudio {
  path: string;
  bytes: number;
  /** Hex SHA-256 of the bytes as sent. */
  sha256: string;
}

/**
 * Streams a raw request body into a temp file, hashing it on the way, and refuses it with 413 `upload_too_large`
 * as soon as it passes MAX_UPLOAD_BYTES. The body is never destroyed here: what is left of a refused one is read
 * and dropped while the answer goes out (destroying the request would cut the socket before the 413), and the
 * connection is then closed.
 */
export async function spoolBody(source: Readable, path: string, maxBytes: number): Promise<SpooledAudio> {
  const hash = createHash('sha256');
  let bytes = 0;
  async function* counted(): AsyncGenerator<Buffer> {
    for await (const chunk of source.iterator({ destroyOnReturn: false }) as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > maxBytes)
        throw new ApiError(
          413,
          'upload_too_large',
          `the body is more than ${maxBytes} bytes; MAX_UPLOAD_BYTES allows ${maxBytes}`,
          { connection: 'close' },
        );
      hash.update(chunk);
      yield chunk;
    }
  }
  try {
    await pipeline(counted, createWriteStream(path));
  } catch (error) {
    source.resume();
    throw error;
  }
  if (bytes === 0)
    throw new ApiError(400, 'empty_audio', 'the request body is empty: send the audio as the body, or JSON {"url": …}');
  return { path, bytes, sha256: hash.digest('hex') };
}

/** Hex SHA-256 of a file (a downloaded recording). */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

/**
 * Headerless samples (`encoding=linear16|mulaw|alaw` with `sample_rate`) rewritten as a 16 kHz WAV at `wavPath`, so
 * the decoder and the job runner read them like any upload. Their length is known from their size: audio above
 * `maxDurationS` is refused before any of it is converted.
 */
export async function rawToWav(
  spooled: SpooledAudio,
  format: RawAudioFormat,
  wavPath: string,
  maxDurationS: number,
): Promise<void> {
  const decoder = new PcmStreamDecoder({
    encoding: RAW_ENCODINGS[format.encoding],
    sampleRate: format.sampleRate,
    channels: format.channels,
  });
  if (decoder.secondsIn(spooled.bytes) > maxDurationS)
    throw new AudioError('audio_too_long', `the audio is longer than the ${maxDurationS} s allowed`);
  async function* blocks(): AsyncGenerator<Float32Array> {
    for await (const chunk of readFileBlocks(spooled.path)) yield decoder.push(chunk);
    yield decoder.flush();
  }
  await writeWavFile(blocks(), wavPath);
}

/** Temp paths for one request, removed together however it ends. */
export class RequestFiles {
  private readonly paths: string[] = [];

  constructor(private readonly tempFiles: TempFiles) {}

  async path(suffix: string): Promise<string> {
    const path = await this.tempFiles.path(suffix);
    this.paths.push(path);
    return path;
  }

  async removeAll(): Promise<void> {
    await Promise.all(this.paths.map((path) => this.tempFiles.remove(path)));
  }
}
