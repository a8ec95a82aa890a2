import { chunkAudio } from './chunker';

/** Blocks as a decoder yields them: asynchronously, one after another. */
async function* blocks(samples: Float32Array, size: number): AsyncGenerator<Float32Array> {
  for (let i = 0; i < samples.length; i += size) {
    await Promise.resolve();
    yield samples.subarray(i, i + size);
  }
}

describe('chunkAudio', () => {
  it('cuts at the quietest point before the limit and covers every sample once', async () => {
    // 25 s of "speech" (constant level) with a 0.1 s silence at 8.0 s; chunks of at most 10 s.
    const audio = new Float32Array(16000 * 25).fill(0.5);
    audio.fill(0, 16000 * 8, 16000 * 8.1);
    const chunks: { startS: number; length: number }[] = [];
    for await (const chunk of chunkAudio(blocks(audio, 3333), 10)) {
      chunks.push({ startS: chunk.startS, length: chunk.samples.length });
    }
    expect(chunks[0]!.length / 16000).toBeGreaterThan(8);
    expect(chunks[0]!.length / 16000).toBeLessThan(8.1);
    expect(chunks.every((c) => c.length <= 16000 * 10)).toBe(true);
    expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(audio.length);
    for (let i = 1; i < chunks.length; i += 1) {
      expect(chunks[i]!.startS).toBeCloseTo(chunks[i - 1]!.startS + chunks[i - 1]!.length / 16000, 6);
    }
  });

  it('gives short audio as one chunk', async () => {
    const chunks = [];
    for await (const chunk of chunkAudio(blocks(new Float32Array(16000), 500), 20)) chunks.push(chunk.samples.length);
    expect(chunks).toEqual([16000]);
  });
});
