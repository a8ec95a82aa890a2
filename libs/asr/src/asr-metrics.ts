import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import type { Counter, Histogram } from 'prom-client';

const TRANSCRIPTIONS = 'asr_transcriptions_total';
const DURATION = 'asr_transcription_duration_seconds';
const AUDIO_SECONDS = 'asr_audio_seconds_total';
const REALTIME_FACTOR = 'asr_realtime_factor';
const PROVIDER_ERRORS = 'asr_provider_errors_total';

export const asrMetricProviders = [
  makeCounterProvider({
    name: TRANSCRIPTIONS,
    help: 'Transcriptions finished, by provider and outcome.',
    labelNames: ['provider', 'status'],
  }),
  makeHistogramProvider({
    name: DURATION,
    help: 'Wall time of a transcription, decode to reply, in seconds.',
    labelNames: ['provider'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
  }),
  makeCounterProvider({ name: AUDIO_SECONDS, help: 'Seconds of audio transcribed.', labelNames: ['provider'] }),
  makeHistogramProvider({
    name: REALTIME_FACTOR,
    help: 'Processing time divided by audio duration (below 1 is faster than real time).',
    labelNames: ['provider'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 5],
  }),
  makeCounterProvider({
    name: PROVIDER_ERRORS,
    help: 'Failed provider calls, by provider and error kind.',
    labelNames: ['provider', 'kind'],
  }),
];

@Injectable()
export class AsrMetrics {
  constructor(
    @InjectMetric(TRANSCRIPTIONS) private readonly transcriptions: Counter<string>,
    @InjectMetric(DURATION) private readonly duration: Histogram<string>,
    @InjectMetric(AUDIO_SECONDS) private readonly audioSeconds: Counter<string>,
    @InjectMetric(REALTIME_FACTOR) private readonly realtimeFactor: Histogram<string>,
    @InjectMetric(PROVIDER_ERRORS) private readonly providerErrors: Counter<string>,
  ) {}

  succeeded(provider: string, audioS: number, elapsedS: number): void {
    this.transcriptions.inc({ provider, status: 'ok' });
    this.duration.observe({ provider }, elapsedS);
    this.audioSeconds.inc({ provider }, audioS);
    if (audioS > 0) this.realtimeFactor.observe({ provider }, elapsedS / audioS);
  }

  failed(provider: string, kind: string): void {
    this.transcriptions.inc({ provider, status: 'error' });
    this.providerErrors.inc({ provider, kind });
  }
}
