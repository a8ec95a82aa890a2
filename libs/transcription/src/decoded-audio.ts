/** Passes 16 kHz blocks through, counting their samples: the recording's duration, silence included. */
export async function* countSamples(
  blocks: AsyncIterable<Float32Array>,
  count: { samples: number },
): AsyncGenerator<Float32Array> {
  for await (const block of blocks) {
    count.samples += block.length;
    yield block;
  }
}
