import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const LIBRIVOX_DIR = '/usr/share/pocketsphinx/test/data/librivox';

export interface SpeechSample {
  id: string;
  reference: string;
  /** 16 kHz mono 16-bit WAV. */
  file: string;
}

export type Voice = 'flite-slt' | 'flite-rms' | 'festival-slt-hts';

/** Speaks `text` with a real synthesiser, then converts to 16 kHz mono with sox (the same file goes to every engine). */
export async function synthesise(text: string, voice: Voice, dir: string, id: string): Promise<SpeechSample> {
  const raw = join(dir, `${id}.${voice}.raw.wav`);
  const file = join(dir, `${id}.${voice}.wav`);
  if (voice === 'festival-slt-hts') {
    const textFile = join(dir, `${id}.txt`);
    await run('bash', [
      '-c',
      'printf "%s" "$1" > "$2" && text2wave -eval "(voice_cmu_us_slt_arctic_hts)" -o "$3" "$2"',
      '_',
      text,
      textFile,
      raw,
    ]);
  } else {
    await run('flite', ['-voice', voice.replace('flite-', ''), '-t', text, '-o', raw]);
  }
  await run('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', file]);
  return { id: `${id}.${voice}`, reference: text, file };
}

/** Runs `work` over `items`, `limit` at a time, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await work(items[index]!);
      }
    }),
  );
  return results;
}

/** The five LibriVox recordings of pocketsphinx-testdata with their reference transcriptions. */
export function librivoxSamples(): SpeechSample[] {
  const lines = readFileSync(join(LIBRIVOX_DIR, 'transcription'), 'utf8').split('\n').filter(Boolean);
  return lines.map((line) => {
    const match = /^<s>\s*(.*?)\s*<\/s>\s*\((.+)\)$/.exec(line.trim());
    if (!match) throw new Error(`unexpected transcription line: ${line}`);
    return { id: match[2]!, reference: match[1]!, file: join(LIBRIVOX_DIR, `${match[2]!}.wav`) };
  });
}

/** The corpus sentences, one per line. */
export function corpusSentences(): string[] {
  return readFileSync(join(__dirname, '..', 'fixtures', 'wer-corpus.txt'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The voices the word-error-rate corpus is spoken in. */
export const CORPUS_VOICES: Voice[] = ['flite-slt', 'festival-slt-hts'];

/** Every corpus sentence in every corpus voice, synthesised into `dir` (two at a time). */
export function synthesiseCorpus(dir: string): Promise<SpeechSample[]> {
  const jobs = CORPUS_VOICES.flatMap((voice) => corpusSentences().map((text, i) => ({ voice, text, id: `s${i}` })));
  return mapLimit(jobs, 2, (job) => synthesise(job.text, job.voice, dir, job.id));
}
