import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { FakeOpenAi } from './support/fake-openai';
import { librivoxSamples, mapLimit } from './support/speech';
import { startTestApp, type TestApp } from './support/test-app';

jest.setTimeout(180_000);

/** Fixed, so a failure names the exact case; change it to explore other cases. */
const SEED = 20261130;
const RANDOM_BODIES = 100;
const MUTATED_FILES = 240;
/** Every answer a bad upload may get: a client error naming its cause, or a transcript of what did decode. */
const ACCEPTABLE = new Set([200, 400, 413, 415, 422]);

type Mutation =
  | { kind: 'flip'; positions: number[]; values: number[] }
  | { kind: 'truncate'; fraction: number }
  | { kind: 'splice'; from: number; to: number; at: number }
  | { kind: 'zero'; from: number; length: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('flip' as const),
    positions: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 24 }),
    values: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 24, maxLength: 24 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), fraction: fc.double({ min: 0, max: 1, noNaN: true }) }),
  fc.record({
    kind: fc.constant('splice' as const),
    from: fc.double({ min: 0, max: 1, noNaN: true }),
    to: fc.double({ min: 0, max: 1, noNaN: true }),
    at: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.record({
    kind: fc.constant('zero' as const),
    from: fc.double({ min: 0, max: 0.2, noNaN: true }),
    length: fc.integer({ min: 1, max: 256 }),
  }),
);

function mutate(file: Buffer, mutation: Mutation): Buffer {
  const at = (fraction: number): number => Math.floor(fraction * file.length);
  switch (mutation.kind) {
    case 'flip': {
      const copy = Buffer.from(file);
      // The header is where parsers are most fragile: half the flips land in the first 64 bytes.
      mutation.positions.forEach((p, i) => {
        const position = i % 2 === 0 ? Math.floor(p * Math.min(64, copy.length)) : at(p);
        copy[position] = mutation.values[i]!;
      });
      return copy;
    }
    case 'truncate':
      return file.subarray(0, at(mutation.fraction));
    case 'splice': {
      const [from, to] = [at(mutation.from), at(mutation.to)].sort((a, b) => a - b);
      const insert = at(mutation.at);
      return Buffer.concat([file.subarray(0, insert), file.subarray(from, to), file.subarray(insert)]);
    }
    case 'zero': {
      const copy = Buffer.from(file);
      copy.fill(0, at(mutation.from), at(mutation.from) + mutation.length);
      return copy;
    }
  }
}

describe(`uploads of random and mutated files (fast-check seed ${SEED})`, () => {
  const fake = new FakeOpenAi();
  let t: TestApp;
  let seeds: { name: string; bytes: Buffer }[];

  beforeAll(async () => {
    await fake.start();
    t = await startTestApp({ env: { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: fake.url } });
    // Two seconds of a recording in each container the service reads, made by real ffmpeg.
    const dir = mkdtempSync(join(tmpdir(), 'asr-fuzz-'));
    const source = librivoxSamples()[0]!.file;
    seeds = ['wav', 'mp3', 'flac', 'ogg', 'm4a'].map((extension) => {
      const out = join(dir, `seed.${extension}`);
      execFileSync('ffmpeg', ['-v', 'error', '-i', source, '-t', '2', '-ac', '1', out]);
      return { name: `seed.${extension}`, bytes: readFileSync(out) };
    });
  });
  afterAll(async () => {
    await t.close();
    await fake.stop();
  });

  it(`answers ${RANDOM_BODIES} random bodies and ${MUTATED_FILES} mutated files with a transcript or a 4xx, and keeps serving`, async () => {
    const random = fc
      .sample(fc.uint8Array({ maxLength: 4096 }), { numRuns: RANDOM_BODIES, seed: SEED })
      .map((bytes, i) => ({
        label: `random #${i} (${bytes.length} bytes)`,
        name: 'upload.bin',
        bytes: Buffer.from(bytes),
      }));
    const mutated = fc
      .sample(fc.tuple(fc.integer({ min: 0, max: seeds.length - 1 }), mutationArb), {
        numRuns: MUTATED_FILES,
        seed: SEED + 1,
      })
      .map(([seed, mutation], i) => ({
        label: `mutated #${i}: ${seeds[seed]!.name} ${JSON.stringify(mutation)}`,
        name: seeds[seed]!.name,
        bytes: mutate(seeds[seed]!.bytes, mutation),
      }));
    const cases = [...random, ...mutated];
    const answers = await mapLimit(cases, 4, async (c) => {
      const form = new FormData();
      form.append('file', new Blob([c.bytes]), c.name);
      const response = await fetch(`${t.url}/api/v1/transcribe`, { method: 'POST', body: form });
      const body = (await response.json()) as { code?: string; message?: string; text?: string };
      return { label: c.label, status: response.status, body };
    });
    const counts: Record<number, number> = {};
    for (const answer of answers) counts[answer.status] = (counts[answer.status] ?? 0) + 1;
    console.log(`upload fuzz: ${cases.length} uploads, statuses ${JSON.stringify(counts)}`);

    const wrong = answers.filter((a) => !ACCEPTABLE.has(a.status)).map((a) => `${a.status} ${a.label}`);
    expect(wrong).toEqual([]);
    for (const answer of answers.filter((a) => a.status !== 200)) {
      expect(answer.body.code).toMatch(/^[a-z_]+$/);
      expect(answer.body.message!.length).toBeGreaterThan(10);
    }
    expect(cases.length).toBeGreaterThanOrEqual(300);
    // Still serving, with nothing left behind: no temp files, no decoders.
    expect((await fetch(`${t.url}/health/ready`)).status).toBe(200);
    const good = new FormData();
    good.append('file', new Blob([seeds[0]!.bytes]), 'seed.wav');
    expect((await fetch(`${t.url}/api/v1/transcribe`, { method: 'POST', body: good })).status).toBe(200);
    expect(readdirSync(t.config.storage.tempPath)).toEqual([]);
    // ps exits 1 when this process has no children at all.
    const children = spawnSync('ps', ['-o', 'comm=', '--ppid', String(process.pid)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter((name) => name.trim() === 'ffmpeg');
    expect(children).toEqual([]);
  });
});
