import { open, rename, rm } from 'node:fs/promises';
import { encodeWav, TARGET_SAMPLE_RATE } from './pcm';

/**
 * Writes 16 kHz float blocks as a 16-bit mono WAV file without holding the audio in memory: the header is written
 * last, when the length is known, and the file appears under `path` only when complete (written beside it, then
 * renamed), so a crash never leaves a truncated file that looks whole. Returns the seconds written.
 */
export async function writeWavFile(blocks: AsyncIterable<Float32Array>, path: string): Promise<number> {
  const partial = `${path}.partial`;
  const file = await open(partial, 'w');
  let samples = 0;
  let buffer: Buffer | undefined;
  try {
    for await (const block of blocks) {
      buffer = encodeWav(block, TARGET_SAMPLE_RATE, buffer);
      await file.write(buffer, 44, block.length * 2, 44 + samples * 2);
      samples += block.length;
    }
    const header = encodeWav(new Float32Array(0)).subarray(0, 44);
    header.writeUInt32LE(36 + samples * 2, 4);
    header.writeUInt32LE(samples * 2, 40);
    await file.write(header, 0, 44, 0);
    await file.sync();
  } catch (error) {
    // A decode that failed (too long, over a quota, cut off) leaves nothing behind.
    await file.close();
    await rm(partial, { force: true });
    throw error;
  }
  await file.close();
  await rename(partial, path);
  return samples / TARGET_SAMPLE_RATE;
}
