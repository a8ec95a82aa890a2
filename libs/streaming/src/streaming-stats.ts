import { Injectable } from '@nestjs/common';
import {
  InjectMetric,
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { roundSeconds } from '@asr/audio';
import type { CloseReason, SessionStats } from './protocol';

const ACTIVE = 'asr_stream_active_sessions';
const SESSIONS = 'asr_stream_sessions_total';
const AUDIO = 'asr_stream_audio_seconds_total';
const FINAL_LATENCY = 'asr_stream_final_latency_seconds';
const PARTIALS = 'asr_stream_partials_total';
const MAX_SESSIONS = 'asr_stream_max_sessions';

export const streamingMetricProviders = [
  makeGaugeProvider({ name: ACTIVE, help: 'Streaming sessions open now.' }),
  makeCounterProvider({
    name: SESSIONS,
    help: 'Streaming sessions ended, by close reason.',
    labelNames: ['close_reason'],
  }),
  makeCounterProvider({ name: AUDIO, help: 'Seconds of client audio received over streaming sessions.' }),
  makeHistogramProvider({
    name: FINAL_LATENCY,
    help: 'From the end of speech being detected to its transcript.final being sent, in seconds.',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  }),
  makeCounterProvider({ name: PARTIALS, help: 'Partial transcripts sent.' }),
  // The same setting in every worker: not summed.
  makeGaugeProvider({
    name: MAX_SESSIONS,
    help: 'STREAMING_MAX_CLIENTS: streams the server admits.',
    aggregator: 'max',
  }),
];

/** A session as the stats endpoint shows it: no audio, no text. */
export interface SessionSummary {
  session_id: string;
  started_at: string;
  ended_at?: string;
  close_reason?: CloseReason;
  stats: SessionStats;
}

const LATENCY_WINDOW = 2000;
const RECENT_SESSIONS = 50;

/** Counters and summaries of the streaming API, for /api/v1/streaming-stats and Prometheus. */
@Injectable()
export class StreamingStats {
  private readonly live = new Map<string, SessionSummary>();
  private readonly recent: SessionSummary[] = [];
  private readonly latencies: number[] = [];
  private readonly totals = {
    sessions: 0,
    audio_seconds: 0,
    utterances: 0,
    finals: 0,
    partials: 0,
    errors: 0,
    close_reasons: {} as Partial<Record<CloseReason, number>>,
  };

  constructor(
    @InjectMetric(ACTIVE) private readonly activeGauge: Gauge<string>,
    @InjectMetric(SESSIONS) private readonly sessionsCounter: Counter<string>,
    @InjectMetric(AUDIO) private readonly audioCounter: Counter<string>,
    @InjectMetric(FINAL_LATENCY) private readonly finalLatency: Histogram<string>,
    @InjectMetric(PARTIALS) private readonly partialsCounter: Counter<string>,
    @InjectMetric(MAX_SESSIONS) private readonly maxSessionsGauge: Gauge<string>,
  ) {}

  /** STREAMING_MAX_CLIENTS, exported so alerts can compare the open sessions with it. */
  capacity(maxSessions: number): void {
    this.maxSessionsGauge.set(maxSessions);
  }

  get active(): number {
    return this.live.size;
  }

  opened(id: string, stats: SessionStats): void {
    this.live.set(id, { session_id: id, started_at: new Date().toISOString(), stats });
    this.totals.sessions += 1;
    this.activeGauge.set(this.live.size);
  }

  audio(seconds: number): void {
    this.totals.audio_seconds += seconds;
    this.audioCounter.inc(seconds);
  }

  utterance(): void {
    this.totals.utterances += 1;
  }

  partial(): void {
    this.totals.partials += 1;
    this.partialsCounter.inc();
  }

  final(latencySeconds: number, failed: boolean): void {
    this.totals.finals += 1;
    if (failed) this.totals.errors += 1;
    this.finalLatency.observe(latencySeconds);
    this.latencies.push(latencySeconds);
    if (this.latencies.length > LATENCY_WINDOW) this.latencies.shift();
  }

  closed(id: string, reason: CloseReason): void {
    const summary = this.live.get(id);
    if (!summary) return;
    this.live.delete(id);
    this.activeGauge.set(this.live.size);
    this.sessionsCounter.inc({ close_reason: reason });
    this.totals.close_reasons[reason] = (this.totals.close_reasons[reason] ?? 0) + 1;
    this.recent.unshift({
      ...summary,
      stats: { ...summary.stats },
      ended_at: new Date().toISOString(),
      close_reason: reason,
    });
    this.recent.length = Math.min(this.recent.length, RECENT_SESSIONS);
  }

  snapshot(): Record<string, unknown> {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (p: number): number | null =>
      sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
    return {
      active_sessions: this.live.size,
      totals: { ...this.totals, audio_seconds: roundSeconds(this.totals.audio_seconds) },
      final_latency_seconds: { count: sorted.length, p50: at(50), p90: at(90), p99: at(99) },
      sessions: [...this.live.values()].map((s) => ({ ...s, stats: { ...s.stats } })),
      recent_sessions: this.recent,
    };
  }
}
