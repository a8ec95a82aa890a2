import { readFileSync } from 'node:fs';
import { loadPocketSphinx } from '@asr/asr';
import { loadConfigOrThrow } from '@asr/config';

/**
 * The engine alone: PocketSphinx on the file's samples, no HTTP, no decoding or chunking of ours (the 16-bit
 * samples are read straight from the canonical 44-byte WAV header the test files have).
 */
export async function rawEngineTranscripts(files: string[]): Promise<string[]> {
  const { hmmPath, lmPath, dictPath } = loadConfigOrThrow({}).asr.local;
  const library = loadPocketSphinx();
  const decoder = await library.init(hmmPath, lmPath, dictPath);
  try {
    const out: string[] = [];
    for (const file of files) {
      const bytes = readFileSync(file);
      const dataAt = bytes.indexOf('data') + 8;
      const pcm = new Int16Array(
        bytes.buffer.slice(bytes.byteOffset + dataAt, bytes.byteOffset + bytes.length - ((bytes.length - dataAt) % 2)),
      );
      library.startStream(decoder);
      library.startUtterance(decoder);
      await library.processRaw(decoder, pcm, true);
      await library.endUtterance(decoder);
      out.push(library.hypothesis(decoder));
    }
    return out;
  } finally {
    library.free(decoder);
  }
}
