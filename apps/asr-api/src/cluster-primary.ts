import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry } from 'prom-client';
import type { AppConfig } from '@asr/config';
import {
  IpcCalls,
  type IpcNotice,
  type IpcReply,
  type IpcRequest,
  METRICS_TOPICS,
  replyTo,
  WORKER_READY,
} from '@asr/cluster';
import { createRootLogger } from '@asr/observability';
import { slotCaller, STREAM_SLOT_TOPICS, StreamSlotBroker } from '@asr/streaming';
import { withServerNodeFlags } from './node-flags';

/** A worker that dies sooner than this after starting counts as a crash loop: its replacement waits longer. */
const QUICK_DEATH_MS = 5000;
const MAX_RESTART_DELAY_MS = 30_000;
/** How long a worker gets to send its metrics before a scrape goes on without them. */
const METRICS_TIMEOUT_MS = 2000;

/**
 * `API_WORKERS` > 1: this process only supervises. It forks the workers (each a whole server on the shared port;
 * the kernel hands connections out in turn), replaces any that die, keeps the state they share (stream admission
 * for STREAMING_MAX_CLIENTS and STREAMS_PER_KEY, the summed metrics), and on SIGTERM has every worker drain, then exits.
 */
export function runPrimary(config: AppConfig): void {
  const logger = createRootLogger(config).child({ role: 'primary' });
  const broker = new StreamSlotBroker({
    max: config.streaming.maxClients,
    perCaller: config.security.streamsPerKey,
  });
  const requests = new IpcCalls();
  /** Workers listening (and answering IPC): a booting one is not asked for metrics. */
  const ready = new Set<Worker>();
  // Workers see the options the command line gave (they read the environment again).
  const env = { API_HOST: config.api.host, API_PORT: String(config.api.port) };
  const started = new Map<number, number>();
  let quickDeaths = 0;
  let stopping = false;

  // Workers run the streams: they start with the server's Node flags, also when the primary was started without.
  cluster.setupPrimary({ execArgv: withServerNodeFlags(process.execArgv) });
  const fork = (): void => {
    const worker = cluster.fork(env);
    started.set(worker.id, Date.now());
  };

  const acquireSlot = (worker: Worker, payload: unknown): unknown => {
    const caller = slotCaller(payload);
    // Thrown inside replyTo: the worker gets a failed reply (and refuses the stream), the primary goes on.
    if (caller === undefined) throw new Error('a stream slot request without a caller');
    return broker.acquire(worker.id, caller);
  };
  const releaseSlot = (worker: Worker, payload: unknown): void => {
    const caller = slotCaller(payload);
    if (caller !== undefined) broker.release(worker.id, caller);
  };

  const answer = async (worker: Worker, request: IpcRequest): Promise<void> => {
    const reply = await replyTo(request, ({ topic, payload }) =>
      topic === METRICS_TOPICS.cluster
        ? clusterMetrics()
        : topic === STREAM_SLOT_TOPICS.acquire
          ? acquireSlot(worker, payload)
          : undefined,
    );
    if (worker.isConnected()) worker.send(reply);
  };

  /** Every ready worker's metrics summed (prom-client's cluster aggregation), and how many workers serve. */
  const clusterMetrics = async (): Promise<string> => {
    const answers = await Promise.allSettled(
      [...ready].map((worker) =>
        requests.ask<object[]>((request) => worker.send(request), METRICS_TOPICS.worker, undefined, METRICS_TIMEOUT_MS),
      ),
    );
    const perWorker = answers.flatMap((a) => (a.status === 'fulfilled' ? [a.value] : []));
    const summed = await AggregatorRegistry.aggregate(perWorker).metrics();
    return `${summed}# HELP asr_workers Worker processes serving (API_WORKERS).\n# TYPE asr_workers gauge\nasr_workers ${ready.size}\n`;
  };

  cluster.on('message', (worker, message: IpcRequest | IpcNotice | IpcReply) => {
    if (message?.kind === 'asr:request') void answer(worker, message);
    else if (message?.kind === 'asr:reply') requests.settle(message);
    else if (message?.kind === 'asr:notice' && message.topic === STREAM_SLOT_TOPICS.release)
      releaseSlot(worker, message.payload);
    else if (message?.kind === 'asr:notice' && message.topic === WORKER_READY) ready.add(worker);
  });

  cluster.on('exit', (worker, code, signal) => {
    broker.workerGone(worker.id);
    ready.delete(worker);
    const lived = Date.now() - (started.get(worker.id) ?? 0);
    started.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info('every worker has stopped');
        process.exit(0);
      }
      return;
    }
    quickDeaths = lived < QUICK_DEATH_MS ? quickDeaths + 1 : 0;
    const delay = quickDeaths === 0 ? 0 : Math.min(MAX_RESTART_DELAY_MS, 500 * 2 ** quickDeaths);
    logger.error({ worker: worker.process.pid, code, signal, restartInMs: delay }, 'worker died; starting another');
    setTimeout(fork, delay);
  });

  // SIGTERM (systemd, Kubernetes, docker stop): every worker drains its streams and requests, then the primary
  // exits. SIGINT from a terminal reaches the workers directly (same process group), so it is not forwarded.
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    logger.info('SIGTERM: stopping the workers');
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
  });
  process.on('SIGINT', () => {
    stopping = true;
  });

  logger.info({ workers: config.api.workers }, `starting ${config.api.workers} workers on port ${config.api.port}`);
  for (let i = 0; i < config.api.workers; i += 1) fork();
}
