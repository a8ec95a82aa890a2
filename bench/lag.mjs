// One reading of the server's event-loop lag for every benchmark (stream, soak, the commit comparison), so their
// figures mean the same thing.

/**
 * prom-client's monitor (`monitorEventLoopDelay`, resolution 10 ms) records the time between its own timer ticks:
 * an idle loop reads 10 ms. The lag is what comes on top of that interval.
 */
export const LAG_RESOLUTION_MS = 10;

/** The value of an unlabelled sample in a Prometheus text exposition; NaN when absent. */
export function metricValue(metricsText, name) {
  return Number(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm').exec(metricsText)?.[1] ?? Number.NaN);
}

/**
 * Event-loop lag p99 in ms since the previous scrape (prom-client resets its histogram on each), less the monitor's
 * sampling interval.
 */
export function lagP99Ms(metricsText) {
  return beyondInterval(metricValue(metricsText, 'nodejs_eventloop_lag_p99_seconds') * 1000);
}

/** A delay of the monitor's tick (ms) as lag: what comes on top of its interval. */
export function beyondInterval(delayMs) {
  return Math.max(0, delayMs - LAG_RESOLUTION_MS);
}

/**
 * The longest single event-loop block since the previous scrape, in ms, as the monitor sees it: its largest delay
 * less its interval. A lower bound: a block that starts t ms after a tick delays the next one by the block less
 * (10 − t) ms, so the block itself is between this and 10 ms more (and a turn of several callbacks reads as one).
 */
export function lagMaxMs(metricsText) {
  return beyondInterval(metricValue(metricsText, 'nodejs_eventloop_lag_max_seconds') * 1000);
}
