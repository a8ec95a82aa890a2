#!/usr/bin/env node
// The streaming load of bench/stream.mjs (fake provider, finals only) against two builds in one run: a baseline
// commit's and this checkout's, both servers pinned to core 0, runs interleaved (each round alternates which goes
// first at each level) so both see the same machine. Prints each side's medians and candidate ÷ baseline per level.
// A baseline build:
//   git worktree add --detach /tmp/base <commit> && ln -s "$PWD/node_modules" /tmp/base/node_modules \
//     && (cd /tmp/base && npm run build)
// Usage: npm run build && node bench/compare-commits.mjs --baseline-dist /tmp/base/dist [--rounds 3] [levels…]
//   Default levels 1 50; rounds odd, so each median is one run's figure. --candidate-dist DIR: another build than
//   BENCH_DIST or ./dist; --window S / --warmup S as in stream.mjs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import {
  benchLoop,
  parseStreamArgs,
  pinLoadGenerator,
  PROVIDER_LATENCY_MS,
  runRemoteLevel,
  startRemoteServer,
} from './stream-load.mjs';
import { DIST, median, startFakeProvider } from './support.mjs';

const args = parseStreamArgs(process.argv.slice(2), [], ['--baseline-dist', '--candidate-dist', '--rounds']);
if (!args.options['--baseline-dist']) throw new Error('--baseline-dist DIR is required (the baseline build’s dist)');
const LEVELS = args.levels.length > 0 ? args.levels : [1, 50];
const ROUNDS = Number(args.options['--rounds'] ?? 3);
const METRICS = ['cpuPercent', 'lagP99Ms', 'overheadP50Ms', 'overheadP99Ms'];

/** The commit a build was made from, when its folder sits in a git checkout. */
function commitOf(dist) {
  try {
    const tree = dirname(dist);
    const head = execFileSync('git', ['-C', tree, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', tree, 'status', '--porcelain', '--untracked-files=no'], {
      encoding: 'utf8',
    });
    return dirty ? `${head} + uncommitted changes` : head;
  } catch {
    return 'unknown';
  }
}

pinLoadGenerator();
const loop = benchLoop();
const options = { loop, windowS: args.windowS, warmupS: args.warmupS, query: '?interim_results=false' };
const fake = await startFakeProvider(PROVIDER_LATENCY_MS);
const sides = [];
for (const [name, dist] of [
  ['baseline', resolve(args.options['--baseline-dist'])],
  ['candidate', resolve(args.options['--candidate-dist'] ?? DIST)],
]) {
  const dir = mkdtempSync(join(tmpdir(), `asr-bench-compare-${name}-`));
  const server = await startRemoteServer(fake.port, dir, dist);
  sides.push({ name, dist, commit: commitOf(dist), server, runs: new Map(LEVELS.map((l) => [l, []])) });
}

// The first run on a fresh server pays for lazy loading and compiling: one unmeasured run on each side first.
for (const side of sides)
  await runRemoteLevel(side.server.url, Math.max(...LEVELS), { ...options, windowS: args.warmupS });
for (let round = 0; round < ROUNDS; round += 1) {
  for (const sessions of LEVELS) {
    for (const side of round % 2 === 0 ? sides : [...sides].reverse()) {
      const result = await runRemoteLevel(side.server.url, sessions, options);
      side.runs.get(sessions).push(result);
      console.error(JSON.stringify({ round, side: side.name, ...result }));
    }
  }
}
for (const side of sides) await side.server.stop();
fake.close();

const summary = (runs) => ({
  ...Object.fromEntries(METRICS.map((m) => [m, median(runs.map((r) => r[m] ?? Number.NaN))])),
  held: `${runs.filter((r) => r.holds).length}/${runs.length}`,
  // Each round's figures, to see the spread behind the median (odd rounds: the median is one of them).
  [`runs (${METRICS.join(' / ')})`]: runs.map((r) => METRICS.map((m) => r[m]).join(' / ')),
});
const [baseline, candidate] = sides;
console.log(
  JSON.stringify(
    {
      rounds: ROUNDS,
      windowS: args.windowS,
      baseline: { dist: baseline.dist, commit: baseline.commit },
      candidate: { dist: candidate.dist, commit: candidate.commit },
      levels: LEVELS.map((sessions) => {
        const base = summary(baseline.runs.get(sessions));
        const cand = summary(candidate.runs.get(sessions));
        const ratio = Object.fromEntries(
          METRICS.map((m) => [m, base[m] > 0 ? Number((cand[m] / base[m]).toFixed(2)) : null]),
        );
        return { sessions, baseline: base, candidate: cand, candidateOverBaseline: ratio };
      }),
    },
    null,
    2,
  ),
);
process.exit(0);
