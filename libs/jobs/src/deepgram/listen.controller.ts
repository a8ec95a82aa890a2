import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Controller, HttpCode, Post, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AsrError, AsrProvider } from '@asr/asr';
import { TempFiles } from '@asr/audio';
import { type Caller, callerOf, WebhookSecrets } from '@asr/auth';
import { AppConfig } from '@asr/config';
import { ApiError } from '@asr/observability';
import { abortOnDisconnect, normaliseLanguage, TranscriptionService } from '@asr/transcription';
import { DownloadError } from '../download-watch';
import type { JobUploadFields } from '../jobs.dto';
import { JobsService } from '../jobs.service';
import { TargetPolicy } from '../target-policy';
import { UrlFetcher } from '../url-fetcher';
import { fileSha256, rawToWav, RequestFiles, type SpooledAudio, spoolBody } from './listen-body';
import {
  type EngineFacts,
  type ListenRequest,
  type ListenResponseOptions,
  listenWarnings,
  parseListenQuery,
} from './listen-options';
import { type ListenAccepted, type ListenResponse, toListenResponse } from './listen-response';
import {
  ApiListenQuery,
  ListenAcceptedDto,
  ListenErrorDto,
  ListenModelInfoDto,
  ListenResponseDto,
  ListenUrlRequest,
} from './listen.dto';

/** The request's audio: the body itself, or a URL to fetch. */
type ListenSource = { url: string } | { body: Readable };

export const LISTEN_ROUTE = '/v1/listen';

/** Content types taken as audio (apps/asr-api routes them here as a stream); everything else but JSON is refused. */
export const LISTEN_AUDIO_TYPE = /^(audio|video)\/|^application\/octet-stream\b/i;

function sourceOf(request: FastifyRequest): ListenSource {
  const type = request.headers['content-type'] ?? '';
  if (/^application\/json\b/i.test(type)) {
    const body = request.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body))
      throw new ApiError(400, 'invalid_body', 'a JSON body must be an object: {"url": "https://…"}');
    const { url, ...rest } = body as Record<string, unknown>;
    const others = Object.keys(rest);
    if (others.length > 0)
      throw new ApiError(
        400,
        'invalid_body',
        `a JSON body holds only "url" (got ${others.map((k) => `"${k}"`).join(', ')})`,
      );
    if (typeof url !== 'string' || url.length === 0 || url.length > 2048)
      throw new ApiError(
        400,
        'invalid_body',
        'a JSON body needs "url": the http(s) address of the audio (at most 2048 characters)',
      );
    return { url };
  }
  if (LISTEN_AUDIO_TYPE.test(type) && request.body) return { body: request.body as Readable };
  throw new ApiError(
    415,
    'unsupported_media_type',
    `send the audio as the body with Content-Type audio/* or application/octet-stream, or JSON {"url": …} (got ${type || 'no Content-Type'})`,
  );
}

/** The status a failed download of the request's URL answers with; the download's own code and message stay. */
function downloadRefusal(error: DownloadError): ApiError {
  return new ApiError(error.code === 'download_too_large' ? 413 : 400, error.code, error.message);
}

/**
 * Deepgram's prerecorded API: `POST /v1/listen` with the audio as the body, or JSON `{url}`, answered in
 * Deepgram's response shape (the official SDKs work when pointed at this server). With `callback` the request
 * becomes a job: the answer is `{request_id}` at once and the response is POSTed to the callback when it ends,
 * signed and retried like any job webhook.
 */
@ApiTags('deepgram-compatible')
// ListenModelInfoDto is named only inside model_info's additionalProperties.
@ApiExtraModels(ListenUrlRequest, ListenResponseDto, ListenAcceptedDto, ListenModelInfoDto)
@Controller('v1')
export class ListenController {
  constructor(
    private readonly transcription: TranscriptionService,
    private readonly provider: AsrProvider,
    private readonly jobs: JobsService,
    private readonly fetcher: UrlFetcher,
    private readonly policy: TargetPolicy,
    private readonly secrets: WebhookSecrets,
    private readonly tempFiles: TempFiles,
    private readonly config: AppConfig,
  ) {}

  @Post('listen')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Deepgram-compatible prerecorded transcription: the audio as the body, or JSON `{url}` (JOBS_ALLOW_URLS=true); `callback` answers `{request_id}` and POSTs the response when done.',
  })
  @ApiListenQuery()
  @ApiConsumes('audio/*', 'application/octet-stream', 'application/json')
  @ApiBody({
    schema: { oneOf: [{ type: 'string', format: 'binary' }, { $ref: getSchemaPath(ListenUrlRequest) }] },
  })
  @ApiOkResponse({
    description: "Deepgram's response; `{request_id}` when a callback was given.",
    schema: { oneOf: [{ $ref: getSchemaPath(ListenResponseDto) }, { $ref: getSchemaPath(ListenAcceptedDto) }] },
  })
  @ApiBadRequestResponse({ type: ListenErrorDto, description: 'Unknown parameters, bad values, or bad audio.' })
  @ApiPayloadTooLargeResponse({ type: ListenErrorDto, description: 'Above MAX_UPLOAD_BYTES or MAX_UPLOAD_DURATION_S.' })
  async listen(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ListenResponse | ListenAccepted> {
    const created = new Date().toISOString();
    const parsed = parseListenQuery((request.query ?? {}) as Record<string, unknown>);
    const source = sourceOf(request);
    this.checkLanguage(parsed.language);
    const options: ListenResponseOptions = { ...parsed.response, warnings: listenWarnings(parsed, this.engine) };
    const files = new RequestFiles(this.tempFiles);
    try {
      if (parsed.callback !== undefined) {
        const accepted = await this.submit(callerOf(request), parsed, source, options, files);
        void reply
          .header('dg-request-id', accepted.request_id)
          .header('location', `/api/v1/jobs/${accepted.request_id}`);
        return accepted;
      }
      const abort = abortOnDisconnect(reply);
      const audio = await this.audioOf(parsed, source, files, abort.signal);
      const result = await this.transcription.transcribe(
        { path: audio.path },
        { ...this.transcribeOptions(parsed), signal: abort.signal, caller: callerOf(request).id },
      );
      void reply.header('dg-request-id', request.id);
      return toListenResponse({
        requestId: request.id,
        created,
        sha256: audio.sha256,
        transcript: result.transcript,
        model: result.model,
        provider: result.provider,
        options,
      });
    } finally {
      await files.removeAll();
    }
  }

  private get engine(): EngineFacts {
    return {
      model: this.provider.defaultModel,
      takesPrompt: this.provider.capabilities.honoredFields.includes('prompt'),
      punctuates: this.provider.name !== 'local',
    };
  }

  /** Refused before any audio is read, rather than after it is transcribed (or, with a callback, in the callback). */
  private checkLanguage(language: string | undefined): void {
    const code = normaliseLanguage(language);
    const { languages } = this.provider.capabilities;
    if (code === undefined || languages.includes('*') || languages.includes(code)) return;
    throw new AsrError(
      'unsupported_language',
      `language "${language}" is not one the ${this.provider.defaultModel} engine transcribes (it takes: ${languages.join(', ')})`,
    );
  }

  private transcribeOptions(parsed: ListenRequest): { language?: string; prompt?: string; wordTimestamps: true } {
    const takesPrompt = this.engine.takesPrompt && parsed.keyterms.length > 0;
    return {
      language: normaliseLanguage(parsed.language),
      ...(takesPrompt ? { prompt: parsed.keyterms.join(', ').slice(0, 4000) } : {}),
      wordTimestamps: true,
    };
  }

  /** The request's audio on disk: the body spooled (headerless samples rewritten as WAV), or the URL fetched. */
  private async audioOf(
    parsed: ListenRequest,
    source: ListenSource,
    files: RequestFiles,
    signal: AbortSignal,
  ): Promise<SpooledAudio> {
    if ('url' in source) {
      if (parsed.raw) this.refuseRawUrl();
      this.checkUrlsAllowed();
      const directory = await files.path('.listen');
      const path = join(directory, 'input');
      try {
        await this.fetcher.download(source.url, directory, path, signal);
      } catch (error) {
        throw error instanceof DownloadError ? downloadRefusal(error) : error;
      }
      return { path, bytes: (await stat(path)).size, sha256: await fileSha256(path) };
    }
    const spooled = await spoolBody(source.body, await files.path('.listen'), this.config.audio.maxUploadBytes);
    if (!parsed.raw) return spooled;
    const wav = await files.path('.wav');
    await rawToWav(spooled, parsed.raw, wav, this.config.audio.maxUploadDurationS);
    return { ...spooled, path: wav, bytes: (await stat(wav)).size };
  }

  /** A callback request becomes a job whose webhook is the callback; its id is the request_id. */
  private async submit(
    caller: Caller,
    parsed: ListenRequest,
    source: ListenSource,
    options: ListenResponseOptions,
    files: RequestFiles,
  ): Promise<ListenAccepted> {
    const callback = parsed.callback!;
    if (!this.secrets.available)
      throw new ApiError(
        400,
        'callbacks_unavailable',
        'callbacks are signed with keys derived from SECRET_KEY and this server has none set; send the request without callback and wait for the response',
      );
    await this.policy.check(callback, 'callback');
    const { language, prompt } = this.transcribeOptions(parsed);
    const fields: Omit<JobUploadFields, 'file'> = { language, prompt, timestamps: 'word', webhook_url: callback };
    if ('url' in source) {
      if (parsed.raw) this.refuseRawUrl();
      this.checkUrlsAllowed();
      const view = await this.jobs.submitUrl(caller, source.url, fields, { deepgram: options });
      return { request_id: view.id };
    }
    const audio = await this.audioOf(parsed, source, files, new AbortController().signal);
    const view = await this.jobs.submitUpload(
      caller,
      {
        fields: {},
        filename: 'body',
        bytes: audio.bytes,
        path: audio.path,
        remove: () => this.tempFiles.remove(audio.path),
      },
      fields,
      // The hash of the bytes as sent: the job's input may be their WAV rewrite.
      { deepgram: { ...options, sha256: audio.sha256 } },
    );
    return { request_id: view.id };
  }

  private checkUrlsAllowed(): void {
    if (!this.config.jobs.allowUrls)
      throw new ApiError(
        400,
        'urls_disabled',
        'this server does not fetch audio from URLs (JOBS_ALLOW_URLS=false); send the audio itself as the request body',
      );
  }

  private refuseRawUrl(): never {
    throw new ApiError(
      400,
      'invalid_parameter',
      'encoding, sample_rate and channels describe headerless audio sent as the body; a URL must name a file with a container (WAV, MP3, FLAC, …)',
    );
  }
}
