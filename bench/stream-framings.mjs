// `node bench/stream.mjs --framings`: the same streaming load in each live protocol the server speaks, against one
// server on the fake provider, in one run: the native protocol, Deepgram's /v1/listen and OpenAI Realtime at 16 kHz
// (the same audio; this server takes Realtime PCM at any rate), and the native protocol and Realtime at 24 kHz (the
// only PCM rate OpenAI's own service takes). Rounds alternate the order, so every protocol sees the same machine; each
// protocol's CPU is given as a ratio to the native protocol's at the same rate, round by round and of the medians.
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { protocolClient, resampledLoop } from './stream-clients.mjs';
import { benchLoop, PROVIDER_LATENCY_MS, runRemoteLevel, startRemoteServer } from './stream-load.mjs';
import { startFakeProvider } from './support.mjs';

const METRICS = ['cpuPercentExact', 'lagP99Ms', 'overheadP50Ms', 'overheadP99Ms'];

/**
 * With partials off, no framing asks the provider for previews: Realtime always sends deltas, so the server's
 * AUDIO_CHUNK_DURATION is set past any utterance of the loop (the longest setting, 30 s) and every protocol does the
 * same provider work, one request per utterance. With partials on every protocol asks for them (the product's
 * default interval).
 */
const FINALS_ONLY_ENV = { AUDIO_CHUNK_DURATION: '30' };

function middle(values) {
  const sorted = values.filter((v) => typeof v === 'number' && !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return null;
  const half = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 === 1 ? sorted[half] : (sorted[half - 1] + sorted[half]) / 2;
  return Number(value.toFixed(2));
}

/** The protocols measured, each with the one whose CPU it is compared to (same audio, same rate). */
function variants(loop16k, partials) {
  const loop24k = resampledLoop(loop16k, 24000);
  const at = (protocol, rate, loop, baseline) => ({
    client: protocolClient(protocol, { rate, interimResults: partials }),
    loop,
    baseline,
  });
  return [
    at('native', 16000, loop16k),
    at('deepgram', 16000, loop16k, 'native 16 kHz'),
    at('realtime', 16000, loop16k, 'native 16 kHz'),
    at('native', 24000, loop24k),
    at('realtime', 24000, loop24k, 'native 24 kHz'),
  ];
}

/** Runs the comparison and returns its summary (every run is also printed to stderr as it ends). */
export async function runFramings({ levels, rounds, windowS, warmupS, partials, dist }) {
  const all = variants(benchLoop(), partials);
  const fake = await startFakeProvider(PROVIDER_LATENCY_MS);
  const dir = mkdtempSync(join(tmpdir(), 'asr-bench-framings-'));
  const server = await startRemoteServer(fake.port, dir, dist, partials ? {} : FINALS_ONLY_ENV);
  const runs = new Map(levels.flatMap((l) => all.map((v) => [`${l} ${v.client.name}`, []])));
  try {
    // A fresh server's first sessions of each protocol pay for lazy loading and compiling: one short unmeasured
    // run of each first.
    for (const { client, loop } of all)
      await runRemoteLevel(server.url, Math.max(...levels), { loop, client, windowS: 2, warmupS: 4 });
    for (let round = 0; round < rounds; round += 1) {
      for (const sessions of levels) {
        // Forward, then backward: a protocol's place in the round changes, and a drift over the run evens out.
        for (const { client, loop } of round % 2 === 0 ? all : [...all].reverse()) {
          const result = await runRemoteLevel(server.url, sessions, { loop, client, windowS, warmupS });
          // Other work on the machine shows here first: the server's core is pinned, not reserved.
          result.loadAverage = Number(loadavg()[0].toFixed(2));
          runs.get(`${sessions} ${client.name}`).push(result);
          console.error(JSON.stringify({ round, protocol: client.name, ...result }));
        }
      }
    }
  } finally {
    await server.stop();
    fake.close();
  }
  return {
    rounds,
    windowS,
    warmupS,
    providerLatencyMs: PROVIDER_LATENCY_MS,
    partials,
    ...(!partials && { serverEnv: FINALS_ONLY_ENV }),
    levels: levels.map((sessions) => summarizeLevel(sessions, all, runs)),
    loadAverages: (() => {
      const loads = [...runs.values()].flat().map((r) => r.loadAverage);
      return `${Math.min(...loads)}–${Math.max(...loads)}`;
    })(),
  };
}

function summarizeLevel(sessions, all, runs) {
  const of = (name) => runs.get(`${sessions} ${name}`);
  const protocols = all.map(({ client }) => {
    const own = of(client.name);
    return {
      protocol: client.name,
      path: client.path,
      ...Object.fromEntries(METRICS.map((m) => [m, middle(own.map((r) => r[m]))])),
      finals: middle(own.map((r) => r.finals)),
      held: `${own.filter((r) => r.holds).length}/${own.length}`,
      ...(own.some((r) => r.errors) && { errors: own.reduce((n, r) => n + (r.errors ?? 0), 0) }),
      [`runs (${METRICS.join(' / ')})`]: own.map((r) => METRICS.map((m) => r[m]).join(' / ')),
    };
  });
  const cpuOverBaseline = all
    .filter((v) => v.baseline)
    .map(({ client, baseline }) => {
      const own = of(client.name).map((r) => r.cpuPercentExact);
      const base = of(baseline).map((r) => r.cpuPercentExact);
      const perRound = own.map((cpu, i) => Number((cpu / base[i]).toFixed(3)));
      return {
        protocol: client.name,
        baseline,
        ofMedians: Number((middle(own) / middle(base)).toFixed(3)),
        perRound,
        spread: `${Math.min(...perRound)}–${Math.max(...perRound)}`,
      };
    });
  return { sessions, protocols, cpuOverBaseline };
}
