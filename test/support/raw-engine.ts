import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPocketSphinx } from '@asr/asr';
import { loadConfigOrThrow } from '@asr/config';
import { wavInt16 } from './mixes';

/**
 * Raw transcripts are cached on disk: the engine is deterministic (a file's answer does not depend on the files
 * decoded before it), and several suites compare against it on the same synthesised corpus (each would otherwise
 * decode it again). The key is everything that can change an answer; the folder belongs to this test process.
 */
const CACHE_PREFIX = 'asr-raw-engine-';

/** A run's folder: the prefix, then the lifetime of the process that made it. */
const RUN_FOLDER = new RegExp(`^${CACHE_PREFIX}(\\d+)-\\d+$`);

/** What the engine consists of in this process: its two shared libraries and koffi's addon, as mapped. */
const ENGINE_FILES = ['libpocketsphinx.so', 'libsphinxbase.so', 'koffi.node'];

/** The call into the engine that our code makes: its fixed decoder arguments live there. */
const BINDING_SOURCE = join(__dirname, '..', '..', 'libs', 'asr', 'src', 'local', 'pocketsphinx-binding.ts');

/** A process for as long as it lives: its pid and start time (a later process may reuse the pid, not both). */
function lifetimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (start time); fields 3 on follow the parenthesised command name, which may hold spaces.
    return `${pid}-${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return undefined;
  }
}

/**
 * The cache folder of this test process: suites run in band share it, and no later run or other checkout can
 * read it (its name holds this process's lifetime). Folders left by processes that have ended are removed.
 */
function runFolder(): string {
  const own = lifetimeOf(process.pid);
  if (own === undefined) throw new Error('the raw-engine cache needs /proc (Linux), as the engine does');
  for (const name of readdirSync(tmpdir())) {
    const owner = RUN_FOLDER.exec(name);
    if (owner && lifetimeOf(Number(owner[1])) !== name.slice(CACHE_PREFIX.length)) {
      rmSync(join(tmpdir(), name), { recursive: true, force: true });
    }
  }
  const folder = join(tmpdir(), `${CACHE_PREFIX}${own}`);
  mkdirSync(folder, { recursive: true });
  return folder;
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

let engineKey: string | undefined;

/**
 * Everything but the audio that decides an answer: the engine's libraries and koffi's addon (by content, as
 * loaded), our binding (the decoder's fixed arguments) and this file (how each file is decoded), the model paths
 * and every model file's content.
 */
function engineIdentity(model: { hmmPath: string; lmPath: string; dictPath: string }): string {
  if (engineKey !== undefined) return engineKey;
  const hash = createHash('sha256');
  const maps = readFileSync('/proc/self/maps', 'utf8').split('\n');
  const mapped = [...new Set(maps.map((line) => line.split(/\s+/).slice(5).join(' ')))];
  const loaded = ENGINE_FILES.map((name) => {
    const path = mapped.find((candidate) => candidate.includes(name));
    if (path === undefined) throw new Error(`${name} is not loaded: the engine's identity is unknown`);
    return path;
  });
  for (const file of [...loaded, BINDING_SOURCE, __filename]) hash.update(file).update(readFileSync(file));
  hash.update(JSON.stringify(model));
  for (const file of [...filesUnder(model.hmmPath), model.lmPath, model.dictPath]) {
    hash.update(file).update(readFileSync(file));
  }
  engineKey = hash.digest('hex');
  return engineKey;
}

/**
 * The engine alone: PocketSphinx on the file's samples, no HTTP, no decoding or chunking of ours (the 16-bit
 * samples are read straight from the canonical 44-byte WAV header the test files have).
 */
export async function rawEngineTranscripts(files: string[]): Promise<string[]> {
  const { hmmPath, lmPath, dictPath } = loadConfigOrThrow({}).asr.local;
  // Loading maps the libraries (cheap); the decoder, which costs, is made only on a miss.
  const library = loadPocketSphinx();
  const engine = engineIdentity({ hmmPath, lmPath, dictPath });
  const folder = runFolder();
  const keys = files.map((file) => createHash('sha256').update(engine).update(readFileSync(file)).digest('hex'));
  const cached = keys.map((key) => {
    try {
      return readFileSync(join(folder, key), 'utf8');
    } catch {
      return undefined;
    }
  });
  if (cached.every((text) => text !== undefined)) return cached;
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
      writeFileSync(join(folder, keys[i]!), text);
      out.push(text);
    }
    return out;
  } finally {
    library.free(decoder);
  }
}
