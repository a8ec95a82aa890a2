#!/usr/bin/env node
// Line coverage per lib from Jest's json-summary (`npm run test:coverage`), and a failure when one of the libs
// whose coordinating code the unit loop must hold falls under its floor.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const FLOOR = 80;
const HELD = ['asr', 'auth', 'jobs', 'streaming'];
const summary = JSON.parse(readFileSync('coverage/coverage-summary.json', 'utf8'));
const libs = new Map();
for (const [file, figures] of Object.entries(summary)) {
  if (file === 'total') continue;
  const [top, name] = relative(process.cwd(), file).split('/');
  const key = top === 'libs' ? `libs/${name}` : `${top}/${name}`;
  const lib = libs.get(key) ?? { covered: 0, total: 0 };
  lib.covered += figures.lines.covered;
  lib.total += figures.lines.total;
  libs.set(key, lib);
}
let failed = false;
console.log('lib                   lines');
for (const [key, { covered, total }] of [...libs].sort()) {
  const percent = total === 0 ? 100 : (100 * covered) / total;
  const held = HELD.some((name) => key === `libs/${name}`);
  const short = held && percent < FLOOR;
  failed ||= short;
  console.log(
    `${key.padEnd(22)}${percent.toFixed(1).padStart(5)}%  ${covered}/${total}${short ? `  < ${FLOOR}%` : ''}`,
  );
}
if (failed) {
  console.error(`line coverage under ${FLOOR}% in a lib the unit tests must hold (${HELD.join(', ')})`);
  process.exit(1);
}
