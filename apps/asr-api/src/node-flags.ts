/**
 * The Node flags the server runs with, wherever it is started: the Dockerfile's CMD, `npm start`, the `asr-api`
 * command's shebang and the cluster's workers (a V8 heap flag is read when the process starts, and Node refuses
 * it in NODE_OPTIONS, so each entry point names it; a test keeps them in step with this list).
 *
 * --initial-heap-size: without it V8 sizes the old generation to about 1.5× the live heap (some 46 MB here), and a
 * server carrying live streams, which allocates steadily, runs a full mark-compact two or three times a second
 * (10–25 ms pauses, more than a tenth of a core in marking at 200 sessions). With a 256 MB floor, and the audio
 * buffers pooled, 200 sessions ran a minute with no full collection after the start-up one: measured in
 * docs/benchmarks.md ("Streaming at the hardware's limit"). The memory it allows is well inside every manifest's
 * limit (k8s: 1 GiB requested).
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--initial-heap-size=256'];

/** `execArgv` with each server flag it lacks added (a flag it sets itself, to another value, is left as it is). */
export function withServerNodeFlags(execArgv: readonly string[]): string[] {
  // V8 reads --initial_heap_size and --initial-heap-size alike.
  const named = (flag: string): string => flag.split('=')[0]!.replace(/_/g, '-');
  const missing = SERVER_NODE_FLAGS.filter((flag) => !execArgv.some((arg) => named(arg) === named(flag)));
  return [...execArgv, ...missing];
}
