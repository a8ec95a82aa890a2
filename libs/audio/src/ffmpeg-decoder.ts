import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { AudioError } from './audio-error';
import { int16ToFloat32, TARGET_SAMPLE_RATE } from './pcm';

/**
 * Demuxers an upload may use. Playlist and list formats (hls, concat, …) are absent on purpose: they make ffmpeg
 * open other files or URLs named inside the upload.
 */
const ALLOWED_DEMUXERS = [
  'aac',
  'aiff',
  'amr',
  'caf',
  'flac',
  'matroska,webm',
  'mov,mp4,m4a,3gp,3g2,mj2',
  'mp3',
  'ogg',
  'wav',
  'w64',
  'au',
].join(',');

const STDERR_LIMIT = 4096;

export interface FfmpegInput {
  /** Stream the bytes through stdin. */
  readonly stdin?: AsyncIterable<Buffer>;
  /** Or read a spooled file (formats that need seeking, like MP4 with its index at the end). */
  readonly file?: string;
}

export interface FfmpegOptions {
  ffmpegPath: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

function describeFailure(stderr: string): AudioError {
  if (/not on whitelist/i.test(stderr)) {
    return new AudioError(
      'unsupported_format',
      'this container format is not accepted (playlists and lists are refused)',
    );
  }
  const first = stderr.split('\n').find((line) => line.trim()) ?? 'unknown error';
  return new AudioError('invalid_audio', `could not decode the audio: ${first.trim().slice(0, 300)}`);
}

/**
 * Decodes anything ffmpeg's allowed demuxers read into 16 kHz mono float blocks, as a stream. ffmpeg may use the
 * `pipe` protocol only (plus `file` for the one spooled file), so nothing inside an upload can make it open
 * other local files or the network.
 */
export async function* decodeWithFfmpeg(input: FfmpegInput, options: FfmpegOptions): AsyncGenerator<Float32Array> {
  const protocols = input.file ? 'file' : 'pipe';
  const args = [
    '-hide_banner',
    '-loglevel',
    'error',
    '-nostdin',
    '-protocol_whitelist',
    protocols,
    '-format_whitelist',
    ALLOWED_DEMUXERS,
    '-i',
    input.file ?? 'pipe:0',
    '-map',
    '0:a:0',
    '-vn',
    '-ac',
    '1',
    '-ar',
    String(TARGET_SAMPLE_RATE),
    '-f',
    's16le',
    'pipe:1',
  ];
  const child = spawn(options.ffmpegPath, args, { stdio: [input.file ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < STDERR_LIMIT) stderr += chunk.toString('utf8');
  });
  let spawnError: Error | undefined;
  child.on('error', (error) => (spawnError = error));
  const exited = once(child, 'close').catch(() => undefined) as Promise<unknown>;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs);
  const abort = (): void => void child.kill('SIGKILL');
  options.signal?.addEventListener('abort', abort, { once: true });

  const feeding = input.stdin && child.stdin ? feed(input.stdin, child.stdin) : Promise.resolve();
  let leftover: Buffer | undefined;
  try {
    for await (const chunk of child.stdout! as AsyncIterable<Buffer>) {
      const bytes = leftover ? Buffer.concat([leftover, chunk]) : chunk;
      const even = bytes.length - (bytes.length % 2);
      leftover = even < bytes.length ? bytes.subarray(even) : undefined;
      if (even === 0) continue;
      const aligned = Buffer.from(bytes.subarray(0, even));
      yield int16ToFloat32(new Int16Array(aligned.buffer, aligned.byteOffset, even / 2));
    }
    await exited;
    const feedError = await feeding;
    if (spawnError) {
      throw new AudioError(
        'decoder_unavailable',
        `ffmpeg could not be started (${options.ffmpegPath}): ${spawnError.message}`,
      );
    }
    // An upload that failed (too large, cut off) is the cause of whatever ffmpeg made of its partial input.
    if (feedError) throw feedError;
    if (timedOut) throw new AudioError('decode_timeout', `decoding took longer than ${options.timeoutMs / 1000} s`);
    if (child.exitCode !== 0) throw describeFailure(stderr);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', abort);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/** Copies the upload into ffmpeg's stdin with backpressure; resolves with an upload error, if any. */
async function feed(source: AsyncIterable<Buffer>, stdin: NodeJS.WritableStream): Promise<Error | undefined> {
  // ffmpeg closing its input early (it failed, or it was killed) is reported through its exit status instead.
  let closed = false;
  stdin.on('error', () => undefined);
  stdin.once('close', () => (closed = true));
  try {
    for await (const chunk of source) {
      if (closed) break;
      if (!stdin.write(chunk)) await Promise.race([once(stdin, 'drain'), once(stdin, 'close')]);
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  } finally {
    stdin.end();
  }
}
