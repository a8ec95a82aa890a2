import { Injectable } from '@nestjs/common';
import { InjectMetric, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import type { Gauge, Histogram } from 'prom-client';
import { JOB_STATUSES, type JobStatus } from './job';

const JOBS = 'asr_jobs';
const DURATION = 'asr_job_duration_seconds';
const QUEUE_DEPTH = 'asr_job_queue_depth';

export const jobMetricProviders = [
  // Every process reads the same store: under API_WORKERS the sum would count each job once per worker.
  makeGaugeProvider({ name: JOBS, help: 'Jobs in the store, by status.', labelNames: ['status'], aggregator: 'max' }),
  makeHistogramProvider({
    name: DURATION,
    help: 'From a job starting to run to it finishing, in seconds, by outcome.',
    labelNames: ['status'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 3600, 7200],
  }),
  makeGaugeProvider({ name: QUEUE_DEPTH, help: 'Jobs waiting to run.', aggregator: 'max' }),
];

/** The jobs' Prometheus metrics; the gauges are read from the store, so every process reports the same. */
@Injectable()
export class JobsMetrics {
  constructor(
    @InjectMetric(JOBS) private readonly jobs: Gauge<string>,
    @InjectMetric(DURATION) private readonly duration: Histogram<string>,
    @InjectMetric(QUEUE_DEPTH) private readonly queueDepth: Gauge<string>,
  ) {}

  counts(counts: Record<JobStatus, number>): void {
    for (const status of JOB_STATUSES) this.jobs.set({ status }, counts[status]);
    this.queueDepth.set(counts.queued);
  }

  finished(status: JobStatus, seconds: number): void {
    this.duration.observe({ status }, seconds);
  }
}
