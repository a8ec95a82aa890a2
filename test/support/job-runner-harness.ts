import { mkdir, writeFile } from 'node:fs/promises';
import { Logger } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { AsrMetrics } from '@asr/asr';
import { AudioDecoder, DecodeSlots, encodeWav, TARGET_SAMPLE_RATE, TempFiles } from '@asr/audio';
import type { AppConfig, RawEnvironment } from '@asr/config';
import { TranscriptionService } from '@asr/transcription';
import { FRAME_SAMPLES, type VadBackend, VadBackendLoader, VadService } from '@asr/vad';
import { JobFiles } from '../../libs/jobs/src/job-files';
import { JobRunner } from '../../libs/jobs/src/job-runner';
import { JobStorageQuota } from '../../libs/jobs/src/job-storage-quota';
import type { JobStore, NewJob } from '../../libs/jobs/src/job-store';
import { SqliteJobStore } from '../../libs/jobs/src/sqlite-job-store';
import { TargetPolicy } from '../../libs/jobs/src/target-policy';
import { UrlFetcher } from '../../libs/jobs/src/url-fetcher';
import { jobsConfig, jobsMetrics, newJob } from './job-builders';
import type { ScriptedProvider } from './scripted-provider';
import { ScriptedVadBackend, silence, speech } from './scripted-vad';

/**
 * Three short bursts of speech between silences, about a second in all: three chunks for a provider that does not
 * join spans. Short on purpose: the runner writes every decoded sample, at about a microsecond each in Jest's sandbox.
 */
export const THREE_UTTERANCES: readonly number[] = [
  ...silence(0.1),
  ...speech(0.15),
  ...silence(0.2),
  ...speech(0.15),
  ...silence(0.2),
  ...speech(0.15),
  ...silence(0.1),
];

/**
 * A 16 kHz WAV whose frames carry these speech probabilities (see scriptedAudio), written frame by frame with
 * `fill`: a per-sample loop costs about a microsecond a sample inside Jest's sandbox.
 */
export function scriptedWav(probabilities: readonly number[]): Buffer {
  const pcm = new Int16Array(probabilities.length * FRAME_SAMPLES);
  probabilities.forEach((p, i) => pcm.fill(Math.round(p * 32767), i * FRAME_SAMPLES, (i + 1) * FRAME_SAMPLES));
  const wav = Buffer.concat([encodeWav(new Float32Array(0)), Buffer.from(pcm.buffer)]);
  wav.writeUInt32LE(36 + pcm.byteLength, 4);
  wav.writeUInt32LE(pcm.byteLength, 40);
  return wav;
}

/** Seconds of audio in a scripted recording. */
export const secondsOf = (probabilities: readonly number[]): number =>
  (probabilities.length * FRAME_SAMPLES) / TARGET_SAMPLE_RATE;

/** Settings that make THREE_UTTERANCES three short chunks and keep each run quick. */
const RUNNER_ENV: RawEnvironment = {
  VAD_SPEECH_PAD_MS: '30',
  VAD_MIN_SPEECH_MS: '64',
  VAD_MIN_SILENCE_MS: '96',
  ASR_CHUNK_CONCURRENCY: '1',
  JOBS_CONCURRENCY: '2',
};

export interface RunnerHarness {
  runner: JobRunner;
  store: JobStore;
  files: JobFiles;
  config: AppConfig;
  metrics: ReturnType<typeof jobsMetrics>;
  /** Stores a job with scripted audio (frame probabilities) as its uploaded WAV, as the service would; its id. */
  submit(audio?: readonly number[], job?: Partial<NewJob>): Promise<string>;
  /** Stores a job with these bytes as its input (for inputs that are not WAV). */
  submitBytes(bytes: Buffer, job?: Partial<NewJob>): Promise<string>;
}

/** Hands VadService the scripted backend whatever VAD_BACKEND says. */
class ScriptedVadLoader extends VadBackendLoader {
  load(): Promise<VadBackend> {
    return Promise.resolve(new ScriptedVadBackend());
  }
}

/** A silent histogram or gauge or counter: the metrics these tests do not read. */
const unregistered = { help: 'unused', labelNames: ['provider', 'status', 'kind', 'backend'], registers: [] };

/**
 * The real runner over the real pipeline (decoder, VAD on the scripted backend, transcription service), an in-memory
 * SQLite store and a temp directory, with `provider` answering every chunk. Nothing runs until `runner.wake()`.
 * Pass the `store` and `config` of an earlier harness to model a restart of the process on the same data.
 */
export async function runnerHarness(
  provider: ScriptedProvider,
  { store, config, env = {} }: { store?: JobStore; config?: AppConfig; env?: RawEnvironment } = {},
): Promise<RunnerHarness> {
  // The runner logs every job; a test reads the store instead.
  Logger.overrideLogger(false);
  const settings = config ?? jobsConfig({ ...RUNNER_ENV, ...env });
  const jobs = store ?? new SqliteJobStore(':memory:');
  const files = new JobFiles(settings);
  const decoder = new AudioDecoder(settings, new TempFiles(settings));
  const decodeSlots = new DecodeSlots(settings);
  const vad = new VadService(
    settings,
    new ScriptedVadLoader(),
    new Histogram({ name: 'vad_inference', ...unregistered }),
    new Histogram({ name: 'vad_batch', ...unregistered }),
    new Gauge({ name: 'vad_backend', ...unregistered }),
  );
  await vad.onModuleInit();
  const asrMetrics = new AsrMetrics(
    new Counter({ name: 'asr_transcriptions', ...unregistered }),
    new Histogram({ name: 'asr_duration', ...unregistered }),
    new Counter({ name: 'asr_audio', ...unregistered }),
    new Histogram({ name: 'asr_rtf', ...unregistered }),
    new Counter({ name: 'asr_errors', ...unregistered }),
  );
  const transcription = new TranscriptionService(decoder, decodeSlots, provider, asrMetrics, vad, settings);
  const quota = new JobStorageQuota(jobs, files, settings);
  const fetcher = new UrlFetcher(new TargetPolicy(['127.0.0.1']), settings);
  const metrics = jobsMetrics();
  const runner = new JobRunner(
    jobs,
    files,
    decoder,
    decodeSlots,
    quota,
    transcription,
    fetcher,
    metrics.metrics,
    settings,
  );

  const submitBytes = async (bytes: Buffer, job: Partial<NewJob> = {}): Promise<string> => {
    const submitted = newJob({ source: { filename: 'talk.wav', bytes: bytes.length }, ...job });
    if (!submitted.source.url) {
      await mkdir(files.directory(submitted.id), { recursive: true });
      await writeFile(files.input(submitted.id), bytes);
    }
    if (!(await jobs.create(submitted, 100))) throw new Error('the queue is full');
    return submitted.id;
  };
  return {
    runner,
    store: jobs,
    files,
    config: settings,
    metrics,
    submitBytes,
    submit: (audio = THREE_UTTERANCES, job) => submitBytes(scriptedWav(audio), job),
  };
}
