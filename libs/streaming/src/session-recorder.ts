import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@nestjs/common';
import { encodeWav, float32ToInt16 } from '@asr/audio';

/** Audio waiting for a slow disk beyond this is dropped rather than held: recording never slows a stream. */
const MAX_UNWRITTEN_BYTES = 4 * 1024 * 1024;

/**
 * STREAM_RECORD: one stream's audio as it reached the VAD (16 kHz mono WAV) and its transcript (one JSON event a
 * line) under AUDIO_STORAGE_PATH/streams, at most STREAM_RECORD_MAX_BYTES of audio. Writes are queued, never
 * awaited by the stream; a write error stops the recording, not the stream.
 */
export class SessionRecorder {
  private readonly audio: WriteStream;
  private readonly transcript: WriteStream;
  private readonly wavPath: string;
  private audioBytes = 0;
  private failed = false;
  droppedBytes = 0;

  constructor(
    directory: string,
    sessionId: string,
    private readonly maxBytes: number,
    private readonly logger: Logger,
  ) {
    mkdirSync(directory, { recursive: true });
    this.wavPath = join(directory, `${sessionId}.wav`);
    this.audio = this.stream(this.wavPath);
    this.transcript = this.stream(join(directory, `${sessionId}.jsonl`));
    // Sizes are written when the recording ends.
    this.audio.write(encodeWav(new Float32Array(0)));
  }

  writeAudio(samples: Float32Array): void {
    if (this.failed || samples.length === 0) return;
    const room = Math.max(0, this.maxBytes - this.audioBytes);
    const bytes = Math.min(samples.length * 2, room - (room % 2));
    if (bytes === 0 || this.audio.writableLength > MAX_UNWRITTEN_BYTES) {
      this.droppedBytes += samples.length * 2;
      return;
    }
    const pcm = float32ToInt16(samples.subarray(0, bytes / 2));
    this.audio.write(Buffer.from(pcm.buffer, pcm.byteOffset, bytes));
    this.audioBytes += bytes;
    this.droppedBytes += samples.length * 2 - bytes;
  }

  writeEvent(event: object): void {
    if (!this.failed) this.transcript.write(`${JSON.stringify({ at: new Date().toISOString(), ...event })}\n`);
  }

  /** Ends both files and writes the WAV's sizes. */
  async close(): Promise<void> {
    await Promise.all([this.audio, this.transcript].map((s) => new Promise<void>((resolve) => s.end(resolve))));
    if (this.failed) return;
    const file = await open(this.wavPath, 'r+');
    try {
      const sizes = Buffer.alloc(4);
      sizes.writeUInt32LE(36 + this.audioBytes);
      await file.write(sizes, 0, 4, 4);
      sizes.writeUInt32LE(this.audioBytes);
      await file.write(sizes, 0, 4, 40);
    } finally {
      await file.close();
    }
  }

  private stream(path: string): WriteStream {
    const stream = createWriteStream(path);
    stream.on('error', (error) => {
      if (!this.failed) this.logger.warn(`stream recording stopped: ${error.message}`);
      this.failed = true;
    });
    return stream;
  }
}
