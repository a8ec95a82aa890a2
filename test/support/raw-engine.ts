import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPocketSphinx } from '@asr/asr';
import { loadConfigOrThrow } from '@asr/config';
import { wavInt16 } from './mixes';

/**
 * Raw transcripts are cached on disk by the audio's hash and the model files: the engine is deterministic, and
 * several suites compare against it on the same synthesised corpus (each would otherwise decode it again).
 */
const CACHE = join(tmpdir(), 'asr-raw-engine-cache');

/**
 * The engine alone: PocketSphinx on the file's samples, no HTTP, no decoding or chunking of ours (the 16-bit
 * samples are read straight from the canonical 44-byte WAV header the test files have).
 */
export async function rawEngineTranscripts(files: string[]): Promise<string[]> {
  const { hmmPath, lmPath, dictPath } = loadConfigOrThrow({}).asr.local;
  // The model files by path, size and time: an upgraded engine or model never reads an old answer.
  const model = [hmmPath, lmPath, dictPath]
    .map((path) => {
      const stat = statSync(path);
      return `${path}:${stat.size}:${stat.mtimeMs}`;
    })
    .join('|');
  mkdirSync(CACHE, { recursive: true });
  const keys = files.map((file) => createHash('sha256').update(model).update(readFileSync(file)).digest('hex'));
  const cached = keys.map((key) => {
    try {
      return readFileSync(join(CACHE, key), 'utf8');
    } catch {
      return undefined;
    }
  });
  if (cached.every((text) => text !== undefined)) return cached;
  const library = loadPocketSphinx();
  const decoder = await library.init(hmmPath, lmPath, dictPath);
  try {
    const out: string[] = [];
    for (const [i, file] of files.entries()) {
      if (cached[i] !== undefined) {
        out.push(cached[i]);
        continue;
      }
      const pcm = wavInt16(file);
      library.startStream(decoder);
      library.startUtterance(decoder);
      await library.processRaw(decoder, pcm, true);
      await library.endUtterance(decoder);
      const text = library.hypothesis(decoder);
      writeFileSync(join(CACHE, keys[i]!), text);
      out.push(text);
    }
    return out;
  } finally {
    library.free(decoder);
  }
}
