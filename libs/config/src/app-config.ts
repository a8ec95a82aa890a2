import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { AsrProviderName, EnvironmentVariables } from './environment-variables';
import type { TlsFiles } from './tls-files';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type LogFormat = 'json' | 'pretty';

export interface RemoteProviderConfig {
  apiKey: string | undefined;
  baseUrl: string;
  model: string;
}

/**
 * The validated configuration, grouped. Injected by class token: `constructor(private readonly config: AppConfig)`.
 * Built only by `loadConfig`; nothing else reads the environment.
 */
export abstract class AppConfig {
  abstract readonly api: {
    host: string;
    port: number;
    workers: number;
    debug: boolean;
    reload: boolean;
    docsEnabled: boolean;
    demoEnabled: boolean;
    headersTimeoutS: number;
    requestTimeoutS: number;
    shutdownGraceS: number;
    shutdownDrainS: number;
    /** TLS_CERT_FILE and TLS_KEY_FILE (checked readable and matching): the port speaks HTTPS and wss:. */
    tls: TlsFiles | undefined;
  };
  abstract readonly logging: { level: LogLevel; format: LogFormat; storagePath: string | undefined };
  abstract readonly audio: {
    maxUploadBytes: number;
    maxUploadDurationS: number;
    maxDecodeRatio: number;
    decodeConcurrency: number;
    ffmpegPath: string;
    ffmpegTimeoutS: number;
  };
  abstract readonly asr: {
    provider: AsrProviderName;
    openai: RemoteProviderConfig;
    fireworks: RemoteProviderConfig;
    compatible: RemoteProviderConfig;
    timeoutS: number;
    maxRetries: number;
    concurrency: number;
    breaker: { failures: number; cooldownS: number };
    fallbackProvider: AsrProviderName | undefined;
    chunkConcurrency: number;
    local: { concurrency: number; queue: number; hmmPath: string; lmPath: string; dictPath: string };
  };
  abstract readonly vad: {
    backend: 'silero' | 'energy' | 'ten';
    /** The rate Silero runs at (VAD_SAMPLE_RATE): 8000 is its cheaper 8 kHz mode behind a decimator. */
    sileroRate: 16_000 | 8_000;
    /** Where TEN-VAD is installed, when it is the backend; undefined: resolve the package from here. */
    tenPath: string | undefined;
    threshold: number;
    negThreshold: number;
    minSilenceMs: number;
    minSpeechMs: number;
    speechPadMs: number;
    maxBatch: number;
    uploadLanes: number;
  };
  abstract readonly streaming: {
    maxClients: number;
    chunkDurationS: number;
    maxDurationS: number;
    lookbackDurationS: number;
    maxFrameBytes: number;
    idleTimeoutS: number;
    maxSessionS: number;
    maxRate: number;
    maxPendingBytes: number;
    record: boolean;
    recordMaxBytes: number;
  };
  abstract readonly jobs: {
    concurrency: number;
    maxQueued: number;
    leaseS: number;
    /** Set: the queue is BullMQ on this Redis; unset: the embedded SQLite store. */
    redisUrl: string | undefined;
    retentionS: number;
    allowUrls: boolean;
    /** Hosts webhooks and job URLs may reach even when they resolve to private or loopback addresses. */
    allowedHosts: string[];
    webhookMaxAttempts: number;
    webhookRetryBaseS: number;
    webhookTimeoutS: number;
    webhookConcurrency: number;
    webhookPerHost: number;
    downloadConcurrency: number;
    downloadTimeoutS: number;
    /** Bytes per second, averaged over each 10 s window; 0: none. */
    downloadMinRate: number;
    /** Bytes of job audio one key may keep on disk; 0: unlimited. */
    storageQuotaBytes: number;
  };
  abstract readonly storage: {
    audioPath: string;
    logPath: string | undefined;
    tempPath: string;
    tempMaxAgeS: number;
    minFreeMb: number;
  };
  abstract readonly security: {
    secretKey: string | undefined;
    /** Raw keys from API_KEYS; API_KEYS_FILE is read by the auth module (it holds digests). */
    apiKeys: string[];
    apiKeysFile: string | undefined;
    metricsRequireKey: boolean;
    docsRequireKey: boolean;
    streamTokenTtlS: number;
    rateLimitPerMinute: number;
    streamsPerKey: number;
    /** TRUST_PROXY parsed: trust every hop, none, this many, or these addresses/CIDRs/ranges. */
    trustProxy: boolean | number | string[];
    /** CORS_ORIGINS: exact origins, or '*'; empty: same-origin only. */
    corsOrigins: string[];
    /** API_ADMIN_KEYS: key names that see every job. */
    adminKeys: string[];
    /** API_ALLOWED_HOSTS as given (lowercased); undefined: derived from this machine (see libs/auth host-policy). */
    allowedHosts: string[] | undefined;
  };
}

const LOG_LEVEL_ALIASES: Record<string, LogLevel> = { warning: 'warn', critical: 'fatal' };

function logLevel(env: EnvironmentVariables): LogLevel {
  const level = LOG_LEVEL_ALIASES[env.LOG_LEVEL] ?? (env.LOG_LEVEL as LogLevel);
  // API_DEBUG promises debug logs; it never makes logging quieter.
  return env.API_DEBUG && level !== 'trace' ? 'debug' : level;
}

/** A comma-separated value as its non-empty items. */
function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return list(value);
}

export function toAppConfig(env: EnvironmentVariables, cwd: string): AppConfig {
  const path = (p: string): string => resolve(cwd, p);
  return {
    api: {
      host: env.API_HOST,
      port: env.API_PORT,
      workers: env.API_WORKERS,
      debug: env.API_DEBUG,
      reload: env.API_RELOAD,
      docsEnabled: env.ENABLE_DOCS,
      demoEnabled: env.ENABLE_DEMO,
      headersTimeoutS: env.HTTP_HEADERS_TIMEOUT_S,
      requestTimeoutS: env.HTTP_REQUEST_TIMEOUT_S,
      shutdownGraceS: env.SHUTDOWN_GRACE_S,
      shutdownDrainS: env.SHUTDOWN_DRAIN_S,
      tls:
        env.TLS_CERT_FILE && env.TLS_KEY_FILE
          ? { certFile: path(env.TLS_CERT_FILE), keyFile: path(env.TLS_KEY_FILE) }
          : undefined,
    },
    logging: {
      level: logLevel(env),
      format: env.LOG_FORMAT as LogFormat,
      storagePath: env.LOG_STORAGE_PATH ? path(env.LOG_STORAGE_PATH) : undefined,
    },
    audio: {
      maxUploadBytes: env.MAX_UPLOAD_BYTES,
      maxUploadDurationS: env.MAX_UPLOAD_DURATION_S,
      maxDecodeRatio: env.MAX_DECODE_RATIO,
      decodeConcurrency: env.UPLOAD_DECODE_CONCURRENCY,
      ffmpegPath: env.FFMPEG_PATH,
      ffmpegTimeoutS: env.FFMPEG_TIMEOUT_S,
    },
    asr: {
      provider: env.ASR_PROVIDER as AsrProviderName,
      openai: { apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL, model: env.OPENAI_MODEL },
      fireworks: { apiKey: env.FIREWORKS_API_KEY, baseUrl: env.FIREWORKS_BASE_URL, model: env.FIREWORKS_MODEL },
      compatible: { apiKey: env.ASR_API_KEY, baseUrl: env.ASR_BASE_URL ?? '', model: env.ASR_MODEL },
      timeoutS: env.ASR_TIMEOUT_S,
      maxRetries: env.ASR_MAX_RETRIES,
      concurrency: env.ASR_CONCURRENCY,
      breaker: { failures: env.ASR_BREAKER_FAILURES, cooldownS: env.ASR_BREAKER_COOLDOWN_S },
      fallbackProvider: env.ASR_FALLBACK_PROVIDER as AsrProviderName | undefined,
      chunkConcurrency: env.ASR_CHUNK_CONCURRENCY,
      local: {
        concurrency: env.LOCAL_ASR_CONCURRENCY || availableParallelism(),
        queue: env.LOCAL_ASR_QUEUE,
        hmmPath: path(env.POCKETSPHINX_HMM),
        lmPath: path(env.POCKETSPHINX_LM),
        dictPath: path(env.POCKETSPHINX_DICT),
      },
    },
    vad: {
      backend: env.VAD_BACKEND as AppConfig['vad']['backend'],
      sileroRate: env.VAD_SAMPLE_RATE === 8000 ? 8_000 : 16_000,
      tenPath: env.TEN_VAD_PATH ? path(env.TEN_VAD_PATH) : undefined,
      threshold: env.VAD_THRESHOLD,
      negThreshold: Math.min(env.VAD_NEG_THRESHOLD, env.VAD_THRESHOLD),
      minSilenceMs: env.VAD_MIN_SILENCE_MS,
      minSpeechMs: env.VAD_MIN_SPEECH_MS,
      speechPadMs: env.VAD_SPEECH_PAD_MS,
      maxBatch: env.VAD_MAX_BATCH,
      uploadLanes: env.VAD_UPLOAD_LANES,
    },
    streaming: {
      maxClients: env.STREAMING_MAX_CLIENTS,
      chunkDurationS: env.AUDIO_CHUNK_DURATION,
      maxDurationS: env.AUDIO_MAX_DURATION,
      lookbackDurationS: env.AUDIO_LOOKBACK_DURATION,
      maxFrameBytes: env.STREAM_MAX_FRAME_BYTES,
      idleTimeoutS: env.STREAM_IDLE_TIMEOUT_S,
      maxSessionS: env.STREAM_MAX_SESSION_S,
      maxRate: env.STREAM_MAX_RATE,
      maxPendingBytes: env.STREAM_MAX_PENDING_BYTES,
      record: env.STREAM_RECORD,
      recordMaxBytes: env.STREAM_RECORD_MAX_BYTES,
    },
    jobs: {
      concurrency: env.JOBS_CONCURRENCY,
      maxQueued: env.JOBS_MAX_QUEUED,
      leaseS: env.JOBS_LEASE_S,
      redisUrl: env.REDIS_URL,
      retentionS: env.JOBS_RETENTION_HOURS * 3600,
      allowUrls: env.JOBS_ALLOW_URLS,
      allowedHosts: env.WEBHOOK_ALLOWED_HOSTS.split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
      webhookMaxAttempts: env.WEBHOOK_MAX_ATTEMPTS,
      webhookRetryBaseS: env.WEBHOOK_RETRY_BASE_S,
      webhookTimeoutS: env.WEBHOOK_TIMEOUT_S,
      webhookConcurrency: env.WEBHOOK_CONCURRENCY,
      webhookPerHost: env.WEBHOOK_PER_HOST,
      downloadConcurrency: env.JOBS_DOWNLOAD_CONCURRENCY,
      downloadTimeoutS: env.JOBS_DOWNLOAD_TIMEOUT_S,
      downloadMinRate: env.JOBS_DOWNLOAD_MIN_RATE,
      storageQuotaBytes: env.JOBS_STORAGE_QUOTA_MB * 1024 * 1024,
    },
    storage: {
      audioPath: path(env.AUDIO_STORAGE_PATH),
      logPath: env.LOG_STORAGE_PATH ? path(env.LOG_STORAGE_PATH) : undefined,
      tempPath: path(env.TEMP_STORAGE_PATH),
      tempMaxAgeS: env.TEMP_FILE_MAX_AGE_S,
      minFreeMb: env.STORAGE_MIN_FREE_MB,
    },
    security: {
      secretKey: env.SECRET_KEY,
      apiKeys: list(env.API_KEYS),
      apiKeysFile: env.API_KEYS_FILE ? path(env.API_KEYS_FILE) : undefined,
      metricsRequireKey: env.METRICS_REQUIRE_KEY,
      docsRequireKey: env.DOCS_REQUIRE_KEY,
      streamTokenTtlS: env.STREAM_TOKEN_TTL_S,
      rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
      streamsPerKey: env.STREAMS_PER_KEY,
      trustProxy: parseTrustProxy(env.TRUST_PROXY),
      corsOrigins: list(env.CORS_ORIGINS).map((origin) => origin.replace(/\/+$/, '')),
      adminKeys: list(env.API_ADMIN_KEYS),
      allowedHosts: env.API_ALLOWED_HOSTS === undefined ? undefined : list(env.API_ALLOWED_HOSTS.toLowerCase()),
    },
  };
}
