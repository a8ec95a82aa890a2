import { open } from 'node:fs/promises';

/**
 * Reads a file in blocks through one reused buffer: no garbage per block, so reading a 100 MB upload does not
 * grow the heap. Each block is valid only until the next is requested; consumers that keep bytes must copy them.
 */
export async function* readFileBlocks(path: string, blockSize = 1 << 20): AsyncGenerator<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(blockSize);
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, blockSize, null);
      if (bytesRead === 0) return;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/** The first `length` bytes of a file (fewer if it is shorter). */
export async function readHead(path: string, length: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
