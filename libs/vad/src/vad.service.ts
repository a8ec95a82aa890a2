import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectMetric, makeGaugeProvider, makeHistogramProvider } from '@willsoto/nestjs-prometheus';
import type { Gauge, Histogram } from 'prom-client';
import { AppConfig } from '@asr/config';
import { SampleBufferPool, TARGET_SAMPLE_RATE } from '@asr/audio';
import { type ComponentHealth, ContributesHealth, type HealthContributor } from '@asr/observability';
import { EnergyVadBackend } from './energy-backend';
import { segmenterSettings, type SegmenterSettingsMs } from './segmenter';
import { type SpeechSegment, speechSegments } from './speech-segments';
import { FRAME_SAMPLES, type VadBackend } from './vad-backend';
import { VadBackendLoader } from './vad-backend-loader';
import { VadBatcher } from './vad-batcher';

const INFERENCE = 'asr_vad_inference_seconds';
const BATCH_SIZE = 'asr_vad_batch_size';
const BACKEND = 'asr_vad_backend';

export const vadMetricProviders = [
  makeHistogramProvider({
    name: INFERENCE,
    help: 'Wall time of one batched VAD inference (the event loop is blocked for about this long).',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.01, 0.025],
  }),
  makeHistogramProvider({
    name: BATCH_SIZE,
    help: 'Frames per batched VAD inference.',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
  }),
  makeGaugeProvider({ name: BACKEND, help: 'The VAD backend in use (1) by name.', labelNames: ['backend'] }),
];

export interface VadStatus {
  requested: AppConfig['vad']['backend'];
  running: VadBackend['name'];
  degraded: boolean;
  reason?: string;
}

/**
 * Owns the VAD backend (chosen by VAD_BACKEND, falling back to the energy detector if it cannot load) and the one
 * batcher every stream and upload shares.
 */
@ContributesHealth()
@Injectable()
export class VadService implements HealthContributor, OnModuleInit, OnApplicationShutdown {
  readonly healthKey = 'vad';
  private readonly logger = new Logger('VAD');
  private backend!: VadBackend;
  private batcher!: VadBatcher;
  private status!: VadStatus;
  /**
   * Live utterances' buffers, shared by every stream: 4 s, then each twice the last, up to the longest utterance
   * (AUDIO_MAX_DURATION and its leading pad); each goes back once its final is out. At most 128 MiB kept free,
   * about the utterances in flight at 200 sessions.
   */
  readonly utteranceBuffers: SampleBufferPool;

  constructor(
    private readonly config: AppConfig,
    private readonly loader: VadBackendLoader,
    @InjectMetric(INFERENCE) private readonly inference: Histogram<string>,
    @InjectMetric(BATCH_SIZE) private readonly batchSize: Histogram<string>,
    @InjectMetric(BACKEND) private readonly backendGauge: Gauge<string>,
  ) {
    // The longest utterance: AUDIO_MAX_DURATION of speech, a leading pad (which a stream may set up to the lookback)
    // and the frame it ended in.
    const longestS = config.streaming.maxDurationS + config.streaming.lookbackDurationS;
    this.utteranceBuffers = new SampleBufferPool({
      smallest: 4 * TARGET_SAMPLE_RATE,
      largest: Math.ceil(longestS * TARGET_SAMPLE_RATE) + FRAME_SAMPLES,
      keepBytes: 128 * 1024 * 1024,
    });
  }

  /** Nest awaits this before the app starts listening. */
  async onModuleInit(): Promise<void> {
    const requested = this.config.vad.backend;
    try {
      this.backend = await this.loader.load(requested);
      this.status = { requested, running: this.backend.name, degraded: false };
    } catch (error) {
      const reason = `${requested} VAD could not load (${error instanceof Error ? error.message : String(error)}); using the energy detector`;
      this.logger.error(reason);
      this.backend = new EnergyVadBackend();
      this.status = { requested, running: 'energy', degraded: true, reason };
    }
    this.backendGauge.set({ backend: this.backend.name }, 1);
    this.batcher = new VadBatcher(this.backend, this.config.vad.maxBatch, (size, seconds) => {
      this.batchSize.observe(size);
      this.inference.observe(seconds);
    });
    this.logger.log(`VAD backend: ${this.backend.name}`);
  }

  get vadStatus(): VadStatus {
    return this.status;
  }

  get sharedBatcher(): VadBatcher {
    return this.batcher;
  }

  /** The segmentation settings in configuration units, with per-stream overrides. */
  settingsMs(overrides: Partial<SegmenterSettingsMs> = {}): SegmenterSettingsMs {
    const vad = this.config.vad;
    return {
      threshold: vad.threshold,
      negThreshold: vad.negThreshold,
      minSilenceMs: vad.minSilenceMs,
      minSpeechMs: vad.minSpeechMs,
      speechPadMs: vad.speechPadMs,
      maxSpeechS: this.config.streaming.maxDurationS,
      ...overrides,
    };
  }

  /** The segmenter settings (in samples) from configuration, with per-stream overrides. */
  settings(overrides: Partial<SegmenterSettingsMs> = {}): ReturnType<typeof segmenterSettings> {
    return segmenterSettings(this.settingsMs(overrides));
  }

  /**
   * Speech spans of a 16 kHz recording that is all there (an upload), with their audio when `withAudio`. `owner`
   * (the caller) shares the batcher fairly with other callers' uploads (VadBatcher).
   */
  async *segments(
    blocks: AsyncIterable<Float32Array>,
    options: {
      withAudio: boolean;
      /** Each span's frame probabilities too (SpeechSegment.probabilities). */
      withProbabilities?: boolean;
      overrides?: Partial<SegmenterSettingsMs>;
      timing?: { vadMs: number };
      owner: string;
    },
  ): AsyncGenerator<SpeechSegment> {
    const upload = this.batcher.openUpload(options.owner);
    try {
      yield* speechSegments(blocks, upload, {
        settings: this.settings(options.overrides),
        withAudio: options.withAudio,
        withProbabilities: options.withProbabilities,
        lanes: this.config.vad.uploadLanes,
        timing: options.timing,
      });
    } finally {
      upload.close();
    }
  }

  checkHealth(): Promise<ComponentHealth> {
    const { running, degraded, reason } = this.status;
    return Promise.resolve(
      degraded ? { status: 'degraded', backend: running, message: reason } : { status: 'up', backend: running },
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.backend.close();
  }
}
