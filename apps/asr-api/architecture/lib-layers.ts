import { posix } from 'node:path';
import type { SourceImport } from './lib-sources';

/**
 * ARCHITECTURE.md's layers, bottom up; the apps stand above them all. A lib imports only libs of lower layers
 * (never one of its own layer) and only through their `@asr/<name>` index.
 */
export const LIB_LAYERS: readonly (readonly string[])[] = [
  ['config'],
  ['observability'],
  ['cluster'],
  ['audio'],
  ['vad', 'asr', 'auth'],
  ['transcription', 'streaming'],
  ['jobs'],
  ['demo', 'health'],
];

type Unit = { kind: 'lib' | 'app'; name: string } | { kind: 'test' } | { kind: 'elsewhere' };

function unitOf(path: string): Unit {
  const [top, name] = path.split('/');
  if ((top === 'libs' || top === 'apps') && name) return { kind: top === 'libs' ? 'lib' : 'app', name };
  return top === 'test' ? { kind: 'test' } : { kind: 'elsewhere' };
}

function layerOf(lib: string): number {
  return LIB_LAYERS.findIndex((layer) => layer.includes(lib));
}

export interface ImportFindings {
  /** One line per import against the rules. */
  violations: string[];
  /** Lib → the libs it imports. */
  edges: Map<string, Set<string>>;
}

/** Checks every import against the layers; `libs` are the declared names. */
export function checkImports(imports: readonly SourceImport[], libs: ReadonlySet<string>): ImportFindings {
  const violations: string[] = [];
  const edges = new Map<string, Set<string>>();
  const addEdge = (lib: string, target: string): void => {
    edges.set(lib, (edges.get(lib) ?? new Set<string>()).add(target));
  };
  for (const { file, specifier } of imports) {
    const from = unitOf(file);
    if (from.kind !== 'lib' && from.kind !== 'app') continue;
    const at = `${file}: "${specifier}"`;
    if (specifier.startsWith('@asr/')) {
      const target = specifier.slice('@asr/'.length);
      if (target.includes('/')) violations.push(`${at} reaches past the index of @asr/${target.split('/')[0]}`);
      else if (!libs.has(target)) violations.push(`${at} names no lib declared in tsconfig.json`);
      else if (from.kind === 'lib' && target === from.name) violations.push(`${at} imports its own lib's index`);
      else if (from.kind === 'lib') {
        addEdge(from.name, target);
        const [own, theirs] = [layerOf(from.name), layerOf(target)];
        if (own < 0 || theirs < 0) violations.push(`${at}: ${own < 0 ? from.name : target} has no layer`);
        else if (theirs === own) violations.push(`${at}: ${from.name} and ${target} share a layer`);
        else if (theirs > own) violations.push(`${at}: ${target} is above ${from.name}`);
      }
      continue;
    }
    if (!specifier.startsWith('.')) continue; // a package
    const to = unitOf(posix.normalize(posix.join(posix.dirname(file), specifier)));
    if (to.kind === 'lib' && !(from.kind === 'lib' && to.name === from.name)) {
      violations.push(`${at} reaches into libs/${to.name}; import @asr/${to.name}`);
      if (from.kind === 'lib') addEdge(from.name, to.name);
    } else if (to.kind === 'app' && !(from.kind === 'app' && to.name === from.name))
      violations.push(`${at} imports an app`);
    // Specs may use test/support and the repository's files; the code that ships may not.
    else if ((to.kind === 'test' || to.kind === 'elsewhere') && !file.endsWith('.spec.ts'))
      violations.push(`${at} leaves libs/ and apps/`);
  }
  return { violations, edges };
}

/** Each cycle among the libs once, as a path that ends where it starts. */
export function libCycles(edges: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const visit = (lib: string, path: string[]): void => {
    const start = path.indexOf(lib);
    if (start >= 0) {
      cycles.push([...path.slice(start), lib]);
      return;
    }
    if (done.has(lib)) return;
    for (const next of edges.get(lib) ?? []) visit(next, [...path, lib]);
    done.add(lib);
  };
  for (const lib of edges.keys()) visit(lib, []);
  return cycles;
}
