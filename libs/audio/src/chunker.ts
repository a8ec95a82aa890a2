import { TARGET_SAMPLE_RATE } from './pcm';

export interface AudioChunk {
  /**
   * 16 kHz mono samples: a view into the chunker's buffer, valid until the next chunk is requested (consumers
   * transcribe a chunk before asking for the next, so no copy of up to minutes of audio is made per chunk).
   */
  samples: Float32Array;
  /** Where the chunk starts in the whole recording, in seconds. */
  startS: number;
}

const FRAME = 320; // 20 ms

function frameEnergy(samples: Float32Array, from: number): number {
  let sum = 0;
  for (let i = from; i < from + FRAME; i += 1) sum += samples[i]! * samples[i]!;
  return sum;
}

/**
 * Cuts a stream of 16 kHz blocks into chunks of at most `maxChunkS`, each cut at the quietest 20 ms in the last
 * `searchS` before the limit, so words are rarely split. (The VAD replaces the cut rule once it exists.)
 */
export async function* chunkAudio(
  blocks: AsyncIterable<Float32Array>,
  maxChunkS: number,
  searchS = Math.min(5, maxChunkS / 2),
): AsyncGenerator<AudioChunk> {
  const maxSamples = Math.floor(maxChunkS * TARGET_SAMPLE_RATE);
  const searchSamples = Math.floor(searchS * TARGET_SAMPLE_RATE);
  // One chunk plus a second of slack; grows only for an unusually large input block.
  let buffer: Float32Array = new Float32Array(maxSamples + TARGET_SAMPLE_RATE);
  let length = 0;
  let emitted = 0;
  for await (const block of blocks) {
    let offset = 0;
    while (offset < block.length) {
      const take = Math.min(block.length - offset, buffer.length - length);
      buffer.set(block.subarray(offset, offset + take), length);
      length += take;
      offset += take;
      while (length >= maxSamples) {
        let cut = maxSamples;
        let quietest = Number.POSITIVE_INFINITY;
        for (let at = maxSamples - FRAME; at >= maxSamples - searchSamples && at >= 0; at -= FRAME) {
          const energy = frameEnergy(buffer, at);
          if (energy < quietest) {
            quietest = energy;
            cut = at + FRAME / 2;
          }
        }
        yield { samples: buffer.subarray(0, cut), startS: emitted / TARGET_SAMPLE_RATE };
        emitted += cut;
        buffer.copyWithin(0, cut, length);
        length -= cut;
      }
      if (length === buffer.length) buffer = growTo(buffer, buffer.length * 2);
    }
  }
  if (length > 0) yield { samples: buffer.subarray(0, length), startS: emitted / TARGET_SAMPLE_RATE };
}

function growTo(buffer: Float32Array, size: number): Float32Array {
  const grown = new Float32Array(size);
  grown.set(buffer);
  return grown;
}
