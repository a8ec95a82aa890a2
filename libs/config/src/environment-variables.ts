import {
  IsBoolean,
  IsIn,
  IsInt,
  IsNotEmpty,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { EnvVar } from './env-var.decorator';

export const ASR_PROVIDERS = ['local', 'openai', 'fireworks', 'openai-compatible'] as const;
export type AsrProviderName = (typeof ASR_PROVIDERS)[number];

/** Levels as the deployment guide writes them; `warning` and `critical` are aliases of `warn` and `fatal`. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'warning', 'error', 'critical', 'fatal'] as const;
export const LOG_FORMATS = ['json', 'pretty'] as const;

/** A number no larger than what another variable allows (relations class-validator's @Max cannot express). */
function AtMost(limit: (env: EnvironmentVariables) => number, what: string): PropertyDecorator {
  return ValidateBy({
    name: 'atMost',
    validator: {
      validate: (value, args) => typeof value !== 'number' || value <= limit(args!.object as EnvironmentVariables),
      defaultMessage: () => `must be at most ${what}`,
    },
  });
}

const URL_OPTIONS = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

// Every property has an explicit type: @EnvVar reads it from decorator metadata to know how to convert the string.
/**
 * The raw environment, one property per variable, defaults as initialisers.
 * Names are the deployment guide's; `toAppConfig` turns this into the grouped, typed AppConfig.
 */
export class EnvironmentVariables {
  // --- api
  @EnvVar({ group: 'api', description: 'Address the HTTP server binds to.' })
  @IsString()
  @IsNotEmpty()
  API_HOST: string = '0.0.0.0';

  @EnvVar({ group: 'api', description: 'TCP port the HTTP and WebSocket server listens on.' })
  @IsInt()
  @Min(1)
  @Max(65535)
  API_PORT: number = 8000;

  @EnvVar({
    group: 'api',
    description:
      'PEM certificate (chain, server certificate first) for serving HTTPS and wss: on API_PORT itself; set with TLS_KEY_FILE. Unset: plain HTTP (TLS ends at nginx or the ingress).',
  })
  @ValidateIf((env: EnvironmentVariables) => env.TLS_KEY_FILE !== undefined)
  @IsNotEmpty({ message: 'is required when TLS_KEY_FILE is set (the two make the HTTPS listener together)' })
  @IsString()
  TLS_CERT_FILE?: string;

  @EnvVar({
    group: 'api',
    description:
      'PEM private key of TLS_CERT_FILE, unencrypted (readable by the service user only); set with TLS_CERT_FILE.',
  })
  @ValidateIf((env: EnvironmentVariables) => env.TLS_CERT_FILE !== undefined)
  @IsNotEmpty({ message: 'is required when TLS_CERT_FILE is set (the two make the HTTPS listener together)' })
  @IsString()
  TLS_KEY_FILE?: string;

  @EnvVar({
    group: 'api',
    description:
      'Worker processes sharing the port under one supervising process; STREAMING_MAX_CLIENTS and /metrics cover them all.',
  })
  @IsInt()
  @Min(1)
  @Max(64)
  API_WORKERS: number = 1;

  @EnvVar({ group: 'api', description: 'Debug logs and error details in responses. Never in production.' })
  @IsBoolean()
  API_DEBUG: boolean = false;

  @EnvVar({ group: 'api', description: 'Restart the server when its built files change (same as `serve --reload`).' })
  @IsBoolean()
  API_RELOAD: boolean = false;

  @EnvVar({ group: 'api', description: 'Serve Swagger UI at /docs and the OpenAPI document at /docs-json.' })
  @IsBoolean()
  ENABLE_DOCS: boolean = true;

  @EnvVar({
    group: 'api',
    description: 'Serve the browser demo (live microphone and file transcription) at /; the API is unaffected.',
  })
  @IsBoolean()
  ENABLE_DEMO: boolean = true;

  @EnvVar({ group: 'api', description: 'Seconds a client has to send its request headers; slower ones are cut off.' })
  @IsInt()
  @Min(1)
  @Max(600)
  HTTP_HEADERS_TIMEOUT_S: number = 20;

  @EnvVar({
    group: 'api',
    description:
      'Seconds a client has to send a whole request, body included (a large upload on a slow link needs more); then 408.',
  })
  @IsInt()
  @Min(1)
  @Max(86_400)
  HTTP_REQUEST_TIMEOUT_S: number = 600;

  @EnvVar({ group: 'api', description: 'Seconds in-flight requests get to finish after SIGTERM/SIGINT.' })
  @IsNumber()
  @Min(0)
  @Max(3600)
  SHUTDOWN_GRACE_S: number = 30;

  @EnvVar({
    group: 'api',
    description: 'Seconds to keep serving with readiness 503 after SIGTERM, so load balancers stop routing first.',
  })
  @IsNumber()
  @Min(0)
  @Max(300)
  SHUTDOWN_DRAIN_S: number = 0;

  // --- logging
  @EnvVar({
    group: 'logging',
    description: 'trace, debug, info, warning, error or critical (any case).',
    lowercase: true,
  })
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: string = 'info';

  @EnvVar({
    group: 'logging',
    description: '`json` (one object per line) or `pretty` (for a terminal).',
    lowercase: true,
  })
  @IsIn(LOG_FORMATS)
  LOG_FORMAT: string = 'json';

  // --- audio
  @EnvVar({
    group: 'audio',
    description: 'Largest upload in bytes; larger ones get 413 (refused from Content-Length when sent).',
  })
  @IsInt()
  @Min(1024)
  MAX_UPLOAD_BYTES: number = 104_857_600;

  @EnvVar({ group: 'audio', description: 'Longest audio in seconds one upload may hold; longer ones get 413.' })
  @IsNumber()
  @Min(1)
  @Max(86_400)
  MAX_UPLOAD_DURATION_S: number = 14_400;

  @EnvVar({
    group: 'audio',
    description:
      'Most decoded audio (16 kHz 16-bit PCM bytes) per byte of upload; more gets 413 as soon as decoding passes it. 100 lets 2.6 kbps speech through and stops a tiny file that expands to hours of silence.',
  })
  @IsNumber()
  @Min(1)
  MAX_DECODE_RATIO: number = 100;

  @EnvVar({
    group: 'audio',
    description:
      'Uploads decoded and transcribed at once in this process (REST uploads and jobs); more wait, and waiting callers take the free slots in turn, so one caller cannot hold them all.',
  })
  @IsInt()
  @Min(1)
  @Max(1024)
  UPLOAD_DECODE_CONCURRENCY: number = 16;

  @EnvVar({
    group: 'audio',
    description: 'The ffmpeg executable that decodes non-WAV uploads (name on PATH or a path).',
  })
  @IsString()
  @IsNotEmpty()
  FFMPEG_PATH: string = 'ffmpeg';

  @EnvVar({ group: 'audio', description: 'Seconds one ffmpeg decode may run before it is stopped.' })
  @IsNumber()
  @Min(1)
  @Max(86_400)
  FFMPEG_TIMEOUT_S: number = 900;

  // --- asr
  @EnvVar({
    group: 'asr',
    description: 'ASR engine: local (embedded, offline), openai, fireworks or openai-compatible.',
    lowercase: true,
  })
  @IsIn(ASR_PROVIDERS)
  ASR_PROVIDER: string = 'local';

  @EnvVar({ group: 'asr', description: 'OpenAI API key; required when ASR_PROVIDER=openai.', secret: true })
  @ValidateIf((env: EnvironmentVariables) => env.ASR_PROVIDER === 'openai')
  @IsNotEmpty({ message: 'is required when ASR_PROVIDER=openai' })
  @IsString()
  OPENAI_API_KEY?: string;

  @EnvVar({ group: 'asr', description: 'Base URL of the OpenAI API.' })
  @IsUrl(URL_OPTIONS)
  OPENAI_BASE_URL: string = 'https://api.openai.com/v1';

  @EnvVar({ group: 'asr', description: 'OpenAI transcription model.' })
  @IsString()
  @IsNotEmpty()
  OPENAI_MODEL: string = 'whisper-1';

  @EnvVar({ group: 'asr', description: 'Fireworks API key; required when ASR_PROVIDER=fireworks.', secret: true })
  @ValidateIf((env: EnvironmentVariables) => env.ASR_PROVIDER === 'fireworks')
  @IsNotEmpty({ message: 'is required when ASR_PROVIDER=fireworks' })
  @IsString()
  FIREWORKS_API_KEY?: string;

  @EnvVar({ group: 'asr', description: "Base URL of Fireworks' OpenAI-compatible audio API." })
  @IsUrl(URL_OPTIONS)
  FIREWORKS_BASE_URL: string = 'https://audio-prod.us-virginia-1.direct.fireworks.ai/v1';

  @EnvVar({ group: 'asr', description: 'Fireworks transcription model.' })
  @IsString()
  @IsNotEmpty()
  FIREWORKS_MODEL: string = 'whisper-v3';

  @EnvVar({
    group: 'asr',
    description:
      'Base URL (ending in /v1) of an OpenAI-compatible server; required when ASR_PROVIDER=openai-compatible.',
  })
  @ValidateIf((env: EnvironmentVariables) => env.ASR_PROVIDER === 'openai-compatible' || env.ASR_BASE_URL !== undefined)
  @IsNotEmpty({ message: 'is required when ASR_PROVIDER=openai-compatible' })
  @IsUrl(URL_OPTIONS)
  ASR_BASE_URL?: string;

  @EnvVar({ group: 'asr', description: 'API key for ASR_BASE_URL, if that server wants one.', secret: true })
  @IsOptional()
  @IsString()
  ASR_API_KEY?: string;

  @EnvVar({ group: 'asr', description: 'Model name sent to ASR_BASE_URL.' })
  @IsString()
  @IsNotEmpty()
  ASR_MODEL: string = 'whisper-1';

  @EnvVar({ group: 'asr', description: 'Seconds one request to a remote provider may take.' })
  @IsNumber()
  @Min(1)
  @Max(3600)
  ASR_TIMEOUT_S: number = 120;

  @EnvVar({ group: 'asr', description: 'Retries of a remote provider call on connect errors, 429 and 502/503/504.' })
  @IsInt()
  @Min(0)
  @Max(10)
  ASR_MAX_RETRIES: number = 2;

  @EnvVar({
    group: 'asr',
    description:
      'Remote provider calls failing in a row (after retries: unreachable, 5xx, timeout, unreadable answer) that open its circuit: calls then fail at once with 503, or go to ASR_FALLBACK_PROVIDER.',
  })
  @IsInt()
  @Min(1)
  @Max(1000)
  ASR_BREAKER_FAILURES: number = 5;

  @EnvVar({
    group: 'asr',
    description: 'Seconds an open circuit waits before letting one trial call through (half-open).',
  })
  @IsNumber()
  @Min(0.1)
  @Max(3600)
  ASR_BREAKER_COOLDOWN_S: number = 30;

  @EnvVar({
    group: 'asr',
    description:
      'A second provider (local, openai, fireworks or openai-compatible, not ASR_PROVIDER) that takes the calls while the circuit of ASR_PROVIDER is open. Unset: none.',
    lowercase: true,
  })
  @IsOptional()
  @IsIn(ASR_PROVIDERS)
  ASR_FALLBACK_PROVIDER?: string;

  @EnvVar({ group: 'asr', description: 'Most requests in flight to a remote provider at once; more wait their turn.' })
  @IsInt()
  @Min(1)
  @Max(1000)
  ASR_CONCURRENCY: number = 8;

  @EnvVar({
    group: 'asr',
    description: 'Chunks of one upload transcribed at the same time (long recordings finish sooner).',
  })
  @IsInt()
  @Min(1)
  @Max(32)
  ASR_CHUNK_CONCURRENCY: number = 2;

  @EnvVar({
    group: 'asr',
    description: 'Embedded engine: parallel decoders (about 90 MiB each); 0 means one per CPU core.',
  })
  @IsInt()
  @Min(0)
  @Max(256)
  LOCAL_ASR_CONCURRENCY: number = 0;

  @EnvVar({
    group: 'asr',
    description: 'Embedded engine: chunks that may wait for a decoder; beyond that requests get 503.',
  })
  @IsInt()
  @Min(0)
  @Max(100_000)
  LOCAL_ASR_QUEUE: number = 64;

  @EnvVar({ group: 'asr', description: 'Embedded engine: acoustic model directory.' })
  @IsString()
  @IsNotEmpty()
  POCKETSPHINX_HMM: string = '/usr/share/pocketsphinx/model/en-us/en-us';

  @EnvVar({ group: 'asr', description: 'Embedded engine: language model file.' })
  @IsString()
  @IsNotEmpty()
  POCKETSPHINX_LM: string = '/usr/share/pocketsphinx/model/en-us/en-us.lm.bin';

  @EnvVar({ group: 'asr', description: 'Embedded engine: pronunciation dictionary.' })
  @IsString()
  @IsNotEmpty()
  POCKETSPHINX_DICT: string = '/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict';

  // --- vad
  @EnvVar({ group: 'vad', description: 'Speech probability (0–1) at which an utterance starts.' })
  @IsNumber()
  @Min(0)
  @Max(1)
  VAD_THRESHOLD: number = 0.5;

  @EnvVar({
    group: 'vad',
    description: 'silero (default), energy (a fallback with no model), or ten (opt-in; see the README).',
    lowercase: true,
  })
  @IsIn(['silero', 'energy', 'ten'])
  VAD_BACKEND: string = 'silero';

  @EnvVar({
    group: 'vad',
    description:
      'With VAD_BACKEND=silero: the rate the model runs at. 16000 (default) is its full-band mode; 8000 halves each 32 ms frame first (a half-band filter) and runs Silero in its 8 kHz mode: 29% less CPU a frame and the same segment F1 on the VAD mixes, but cuts that moved one recorded-speech WER bound by 2.8 points (docs/benchmarks.md).',
  })
  @IsInt()
  @IsIn([8000, 16000])
  VAD_SAMPLE_RATE: number = 16000;

  @EnvVar({
    group: 'vad',
    description:
      'With VAD_BACKEND=ten: the directory of an installed @gooney-001/ten-vad-lib (may be read-only); default: resolved.',
  })
  @IsOptional()
  @IsString()
  TEN_VAD_PATH?: string;

  @EnvVar({ group: 'vad', description: 'Speech probability below which silence counts towards ending an utterance.' })
  @IsNumber()
  @Min(0)
  @Max(1)
  VAD_NEG_THRESHOLD: number = 0.35;

  @EnvVar({ group: 'vad', description: 'Milliseconds below VAD_NEG_THRESHOLD that end an utterance.' })
  @IsInt()
  @Min(0)
  @Max(10_000)
  VAD_MIN_SILENCE_MS: number = 300;

  @EnvVar({ group: 'vad', description: 'Utterances shorter than this many milliseconds are dropped.' })
  @IsInt()
  @Min(0)
  @Max(10_000)
  VAD_MIN_SPEECH_MS: number = 250;

  @EnvVar({
    group: 'vad',
    description: 'Milliseconds of audio kept before an utterance and after its end, so first words are not clipped.',
  })
  @IsInt()
  @Min(0)
  @Max(2000)
  @AtMost(
    (env) => env.AUDIO_LOOKBACK_DURATION * 1000,
    'AUDIO_LOOKBACK_DURATION × 1000: the pad comes from the lookback',
  )
  VAD_SPEECH_PAD_MS: number = 400;

  @EnvVar({
    group: 'vad',
    description: 'Most frames (from any streams) in one batched VAD inference; bounds event-loop blocking.',
  })
  @IsInt()
  @Min(1)
  @Max(1024)
  VAD_MAX_BATCH: number = 32;

  @EnvVar({
    group: 'vad',
    description:
      'Lanes of 8 s (each with 1 s of warm-up) an upload is cut into so its VAD runs batched; 1: frame by frame.',
  })
  @IsInt()
  @Min(1)
  @Max(256)
  VAD_UPLOAD_LANES: number = 16;

  // --- streaming
  @EnvVar({ group: 'streaming', description: 'Concurrent WebSocket streaming sessions; more are refused.' })
  @IsInt()
  @Min(1)
  @Max(100000)
  STREAMING_MAX_CLIENTS: number = 100;

  @EnvVar({ group: 'streaming', description: 'Seconds of audio between partial transcripts of a growing utterance.' })
  @IsNumber()
  @Min(0.1)
  @Max(30)
  AUDIO_CHUNK_DURATION: number = 1;

  @EnvVar({ group: 'streaming', description: 'Longest utterance in seconds; a longer one is cut and finalised.' })
  @IsNumber()
  @Min(1)
  @Max(600)
  AUDIO_MAX_DURATION: number = 30;

  @EnvVar({
    group: 'streaming',
    description: 'Seconds of recent audio kept per stream so an utterance start is not clipped.',
  })
  @IsNumber()
  @Min(0)
  @Max(30)
  AUDIO_LOOKBACK_DURATION: number = 1;

  @EnvVar({
    group: 'streaming',
    description: 'Largest WebSocket frame a client may send, in bytes; larger closes 1009.',
  })
  @IsInt()
  @Min(1024)
  @Max(16 * 1024 * 1024)
  STREAM_MAX_FRAME_BYTES: number = 1024 * 1024;

  @EnvVar({
    group: 'streaming',
    description: 'Seconds a stream may go without audio or a keepalive before it is closed (4001).',
  })
  @IsNumber()
  @Min(1)
  @Max(3600)
  STREAM_IDLE_TIMEOUT_S: number = 30;

  @EnvVar({ group: 'streaming', description: 'Longest stream in seconds; it is closed (4002) after its finals.' })
  @IsNumber()
  @Min(1)
  @Max(86_400)
  STREAM_MAX_SESSION_S: number = 4 * 3600;

  @EnvVar({
    group: 'streaming',
    description: 'How much faster than real time a client may send audio; faster is throttled by pausing its socket.',
  })
  @IsNumber()
  @Min(1)
  @Max(1000)
  STREAM_MAX_RATE: number = 8;

  @EnvVar({
    group: 'streaming',
    description: 'Bytes of unsent messages a slow reader may hold up: partials are skipped above half, past it 1008.',
  })
  @IsInt()
  @Min(1024)
  @Max(256 * 1024 * 1024)
  STREAM_MAX_PENDING_BYTES: number = 1024 * 1024;

  @EnvVar({
    group: 'streaming',
    description: "Write each stream's audio (WAV) and transcript (JSONL) under AUDIO_STORAGE_PATH/streams.",
  })
  @IsBoolean()
  STREAM_RECORD: boolean = false;

  @EnvVar({ group: 'streaming', description: 'Most bytes of audio recorded per stream; the rest is not kept.' })
  @IsInt()
  @Min(1024)
  STREAM_RECORD_MAX_BYTES: number = 200 * 1024 * 1024;

  // --- jobs
  @EnvVar({ group: 'jobs', description: 'Jobs this process transcribes at the same time.' })
  @IsInt()
  @Min(1)
  @Max(64)
  JOBS_CONCURRENCY: number = 1;

  @EnvVar({ group: 'jobs', description: 'Jobs waiting to run before new ones are refused with 503 and Retry-After.' })
  @IsInt()
  @Min(1)
  JOBS_MAX_QUEUED: number = 100;

  @EnvVar({ group: 'jobs', description: "Hours a finished job's audio, result and record are kept." })
  @IsNumber()
  @Min(0.001)
  JOBS_RETENTION_HOURS: number = 72;

  @EnvVar({
    group: 'jobs',
    description:
      'Seconds a runner holds a job without renewing it (it renews twice a second); a job whose runner died is taken over after this.',
  })
  @IsNumber()
  @Min(1)
  @Max(600)
  JOBS_LEASE_S: number = 15;

  @EnvVar({
    group: 'jobs',
    description:
      'Redis URL (redis://host:6379/0): the job queue becomes BullMQ on Redis, shared by every replica; unset: SQLite in AUDIO_STORAGE_PATH.',
    secret: true,
  })
  @IsOptional()
  @IsString()
  @Matches(/^rediss?:\/\//, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  @EnvVar({ group: 'jobs', description: 'Accept jobs that give an http(s) `url` to fetch the audio from.' })
  @IsBoolean()
  JOBS_ALLOW_URLS: boolean = false;

  @EnvVar({
    group: 'jobs',
    description:
      'Hosts (names, addresses or CIDR ranges, comma-separated) webhooks and job URLs may reach even when private or loopback.',
  })
  @IsString()
  WEBHOOK_ALLOWED_HOSTS: string = '';

  @EnvVar({ group: 'jobs', description: 'Attempts to deliver a webhook before it is marked failed.' })
  @IsInt()
  @Min(1)
  @Max(20)
  WEBHOOK_MAX_ATTEMPTS: number = 6;

  @EnvVar({
    group: 'jobs',
    description: 'Seconds before the first webhook retry; each later retry waits twice as long as the one before.',
  })
  @IsNumber()
  @Min(0.01)
  WEBHOOK_RETRY_BASE_S: number = 5;

  @EnvVar({ group: 'jobs', description: 'Seconds a webhook receiver gets to answer one attempt.' })
  @IsNumber()
  @Min(0.1)
  WEBHOOK_TIMEOUT_S: number = 10;

  @EnvVar({ group: 'jobs', description: 'Webhook deliveries in flight at once in this process.' })
  @IsInt()
  @Min(1)
  @Max(256)
  WEBHOOK_CONCURRENCY: number = 8;

  @EnvVar({
    group: 'jobs',
    description:
      'Webhook deliveries in flight at once to one receiver (scheme, host and port), so hanging receivers cannot take every slot.',
  })
  @IsInt()
  @Min(1)
  @AtMost((env) => env.WEBHOOK_CONCURRENCY, 'WEBHOOK_CONCURRENCY')
  WEBHOOK_PER_HOST: number = 2;

  @EnvVar({
    group: 'jobs',
    description: 'URL jobs downloading at once in this process; downloads never hold a JOBS_CONCURRENCY runner.',
  })
  @IsInt()
  @Min(1)
  @Max(64)
  JOBS_DOWNLOAD_CONCURRENCY: number = 2;

  @EnvVar({ group: 'jobs', description: 'Seconds a URL job download may take in all; then the job fails.' })
  @IsNumber()
  @Min(1)
  JOBS_DOWNLOAD_TIMEOUT_S: number = 600;

  @EnvVar({
    group: 'jobs',
    description:
      'Bytes per second a URL job download must average over every 10 s window (after the first); a slower server fails the job. 0: no minimum.',
  })
  @IsInt()
  @Min(0)
  JOBS_DOWNLOAD_MIN_RATE: number = 8192;

  @EnvVar({
    group: 'jobs',
    description:
      'MB of job audio one API key may keep on disk (inputs and decoded audio of its unexpired jobs); a submission or decode past it fails with storage_quota_exceeded. 0: no quota.',
  })
  @IsInt()
  @Min(0)
  JOBS_STORAGE_QUOTA_MB: number = 2048;

  // --- storage
  @EnvVar({ group: 'storage', description: 'Directory for stored audio (recordings, job inputs).' })
  @IsString()
  @IsNotEmpty()
  AUDIO_STORAGE_PATH: string = './data/audio';

  @EnvVar({ group: 'storage', description: 'When set, logs are also appended to asr-api-service.log here.' })
  @IsOptional()
  @IsString()
  LOG_STORAGE_PATH?: string;

  @EnvVar({ group: 'storage', description: 'Directory for temporary files; stale ones are removed at start.' })
  @IsString()
  @IsNotEmpty()
  TEMP_STORAGE_PATH: string = './data/tmp';

  @EnvVar({ group: 'storage', description: 'Files in TEMP_STORAGE_PATH older than this many seconds are stale.' })
  @IsInt()
  @Min(60)
  TEMP_FILE_MAX_AGE_S: number = 3600;

  @EnvVar({ group: 'storage', description: 'Free disk space (MB) below which readiness reports storage as degraded.' })
  @IsInt()
  @Min(0)
  STORAGE_MIN_FREE_MB: number = 512;

  // --- security
  @EnvVar({
    group: 'security',
    description:
      'Key that signs stream tokens and webhooks; use 32+ random characters. Required when API keys are set.',
    secret: true,
  })
  @ValidateIf((env: EnvironmentVariables) => Boolean(env.API_KEYS || env.API_KEYS_FILE))
  @IsNotEmpty({ message: 'is required when API_KEYS or API_KEYS_FILE is set (it signs the stream tokens)' })
  @IsString()
  SECRET_KEY?: string;

  @EnvVar({
    group: 'security',
    description:
      'API keys clients must send (comma-separated; Authorization: Bearer or X-API-Key). Unset with API_KEYS_FILE unset: the API is open.',
    secret: true,
  })
  @IsOptional()
  @IsString()
  API_KEYS?: string;

  @EnvVar({
    group: 'security',
    description:
      'A file of API keys as SHA-256 hex digests, one per line, each optionally followed by a name (`sha256sum` output works); # starts a comment.',
  })
  @IsOptional()
  @IsString()
  API_KEYS_FILE?: string;

  @EnvVar({
    group: 'security',
    description:
      'Which peers may speak for the client in X-Forwarded-For: loopback (nginx on this host), true (any: only behind a proxy that sets it), false, a hop count, or addresses/CIDRs (comma-separated; also linklocal, uniquelocal).',
  })
  @Matches(/^(true|false|\d+|[0-9a-zA-Z.:/]+(\s*,\s*[0-9a-zA-Z.:/]+)*)$/, {
    message: 'must be true, false, a hop count, or comma-separated addresses, CIDRs or loopback/linklocal/uniquelocal',
  })
  TRUST_PROXY: string = 'loopback';

  @EnvVar({
    group: 'security',
    description:
      'Browser origins allowed to call the API and open streams (comma-separated, e.g. https://app.example.com); * allows any. Unset: same-origin pages only.',
  })
  @IsOptional()
  @IsString()
  CORS_ORIGINS?: string;

  @EnvVar({ group: 'security', description: 'With API keys set: /metrics wants a key too.' })
  @IsBoolean()
  METRICS_REQUIRE_KEY: boolean = false;

  @EnvVar({ group: 'security', description: 'With API keys set: /docs and /docs-json want a key too.' })
  @IsBoolean()
  DOCS_REQUIRE_KEY: boolean = false;

  @EnvVar({ group: 'security', description: 'Seconds a stream token (POST /api/v1/auth/stream-token) stays valid.' })
  @IsInt()
  @Min(5)
  @Max(300)
  STREAM_TOKEN_TTL_S: number = 60;

  @EnvVar({
    group: 'security',
    description:
      'Requests per minute one API key (or, with no keys, one client address) may make; then 429 with Retry-After. 0: no limit.',
  })
  @IsInt()
  @Min(0)
  RATE_LIMIT_PER_MINUTE: number = 600;

  @EnvVar({
    group: 'security',
    description:
      'Live streams one API key (or client address) may hold at once; one more gets `error` rate_limited and close 1008. 0: only STREAMING_MAX_CLIENTS.',
  })
  @IsInt()
  @Min(0)
  STREAMS_PER_KEY: number = 0;

  @EnvVar({
    group: 'security',
    description:
      'Names of API keys (as in API_KEYS_FILE, or key-<first 8 hex of the digest> for API_KEYS) that see and cancel every job, not only their own.',
  })
  @IsOptional()
  @IsString()
  API_ADMIN_KEYS?: string;

  @EnvVar({
    group: 'security',
    description:
      "Host names (and addresses) requests may name in their Host header, comma-separated; * allows any. Unset: this machine's names and addresses, loopback, and the hosts of CORS_ORIGINS. /health* and /metrics take any Host.",
  })
  @IsOptional()
  @IsString()
  API_ALLOWED_HOSTS?: string;
}
