import { Logger } from '@nestjs/common';
import OpenAI from 'openai';
import type { AsrProviderName, RemoteProviderConfig } from '@asr/config';
import { TARGET_SAMPLE_RATE } from '@asr/audio';
import type { ComponentHealth } from '@asr/observability';
import { type AsrCapabilities, AsrProvider, type TranscribeOptions } from '../asr-provider';
import { SlotPool, withSlot } from '../slot-pool';
import type { ChunkTranscript } from '../transcript';
import { ProviderCircuit } from './provider-circuit';
import { MultipartWav } from './multipart-wav';
import { nodeHttpFetch } from './node-http-fetch';
import { toAsrError } from './remote-error';
import { remoteFields, remoteFormat } from './remote-request';
import { type RemoteTranscription, toChunkTranscript } from './remote-response';
import { DEFAULT_RETRY, type RetryPolicy, withRetries } from './retry-policy';

/** OpenAI's limit on one upload. */
const MAX_REQUEST_BYTES = 25 * 1024 * 1024;
/**
 * Two minutes per call: a 3.8 MB WAV, well inside every provider's limit, and a bounded buffer (7.7 MB of float
 * samples) however long the recording; Whisper-family models work in 30 s windows anyway.
 */
const MAX_CHUNK_SECONDS = 120;

export interface RemoteProviderOptions {
  name: Exclude<AsrProviderName, 'local'>;
  endpoint: RemoteProviderConfig;
  timeoutS: number;
  maxRetries: number;
  concurrency: number;
  breaker: { failures: number; cooldownS: number };
}

/**
 * OpenAI, Fireworks and any server speaking POST /v1/audio/transcriptions, through the official SDK (over node:http). Retries are
 * ours (the SDK's are off) so that timeouts are never retried and Retry-After is honoured.
 */
export class OpenAiCompatibleProvider extends AsrProvider {
  readonly name: Exclude<AsrProviderName, 'local'>;
  readonly defaultModel: string;
  readonly capabilities: AsrCapabilities;

  private static capabilitiesFor(name: RemoteProviderOptions['name'], concurrency: number): AsrCapabilities {
    return {
      streamingPartials: false,
      wordTimestamps: true,
      languages: ['*'],
      honoredFields: ['model', 'language', 'prompt', 'temperature', 'timestamp_granularities'],
      ignoredFields: [],
      maxRequestBytes: MAX_REQUEST_BYTES,
      maxChunkSeconds: MAX_CHUNK_SECONDS,
      joinsSpeechSpans: true,
      parallelCalls: concurrency,
      translation: 'remote',
      // OpenAI diarizes with gpt-4o-transcribe-diarize; Fireworks has no diarized_json; any other server decides.
      diarization: name === 'openai' ? 'diarize-models' : name === 'fireworks' ? 'none' : 'any-model',
    };
  }

  private readonly logger = new Logger('ASR');
  private readonly client: OpenAI;
  private readonly slots: SlotPool<number>;
  /** One request body per slot, written chunk after chunk into the same buffer (the WAV and the fields). */
  private readonly bodies: MultipartWav[] = [];
  private readonly retry: RetryPolicy;
  private readonly circuit: ProviderCircuit;

  constructor(private readonly options: RemoteProviderOptions) {
    super();
    this.capabilities = OpenAiCompatibleProvider.capabilitiesFor(options.name, options.concurrency);
    this.name = options.name;
    this.defaultModel = options.endpoint.model;
    this.client = new OpenAI({
      apiKey: options.endpoint.apiKey ?? 'unused',
      baseURL: options.endpoint.baseUrl,
      timeout: options.timeoutS * 1000,
      maxRetries: 0,
      // The SDK's requests, over node:http: cheaper per call than its default fetch (node-http-fetch.ts).
      fetch: nodeHttpFetch(),
    });
    this.slots = new SlotPool(options.concurrency * 16);
    for (let i = 0; i < options.concurrency; i += 1) this.slots.add(i);
    this.retry = { ...DEFAULT_RETRY, maxRetries: options.maxRetries };
    this.circuit = new ProviderCircuit(options.name, options.breaker);
  }

  health(): ComponentHealth {
    const { name, endpoint } = this.options;
    // A key is not needed by every OpenAI-compatible server; it is by OpenAI and Fireworks (config enforces that).
    return { status: 'up', provider: name, model: endpoint.model, baseUrl: endpoint.baseUrl, ...this.circuit.health() };
  }

  transcribe(samples: Float32Array, options: TranscribeOptions): Promise<ChunkTranscript> {
    return this.circuit.run(() => this.call(samples, options));
  }

  /** One chunk: a request slot, the call with its retries, failures as AsrError (what the circuit counts). */
  private async call(samples: Float32Array, options: TranscribeOptions): Promise<ChunkTranscript> {
    try {
      const result = await withSlot(this.slots, options.signal, (slot) => {
        const body = (this.bodies[slot] ??= new MultipartWav(64 * 1024 + MAX_CHUNK_SECONDS * TARGET_SAMPLE_RATE * 2));
        const model = options.model ?? this.defaultModel;
        const bytes = body.write(samples, { model, ...remoteFields(options, remoteFormat(options, model)) });
        return withRetries(
          this.retry,
          options.signal,
          () => this.request(bytes, body.contentType, options),
          (error, attempt, delayMs) =>
            this.logger.warn(
              `${this.name} call failed (${describe(error)}); retry ${attempt} in ${Math.round(delayMs)} ms`,
            ),
        );
      });
      return toChunkTranscript(result, options.language, samples.length / TARGET_SAMPLE_RATE);
    } catch (error) {
      const mapped = toAsrError(error, this.name, this.options.timeoutS);
      if (mapped.code !== 'cancelled') this.logger.error(`${this.name} transcription failed: ${mapped.message}`);
      throw mapped;
    }
  }

  /**
   * One call: a translation, or a transcription in the format the request and the model call for, its multipart
   * body written by us (`MultipartWav`) and sent through the SDK's client, which adds the auth, timeout and errors.
   */
  private async request(body: Buffer, contentType: string, options: TranscribeOptions): Promise<RemoteTranscription> {
    const path = options.task === 'translate' ? '/audio/translations' : '/audio/transcriptions';
    // The format is chosen at run time: RemoteTranscription reads every format's fields, each optional but `text`.
    return await this.client.post<RemoteTranscription>(path, {
      body,
      headers: { 'content-type': contentType },
      signal: options.signal ?? null,
    });
  }

  whenReady(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    await Promise.resolve();
  }
}

function describe(error: unknown): string {
  return error instanceof OpenAI.APIError ? `${error.status ?? 'connection'} ${error.message}` : String(error);
}
