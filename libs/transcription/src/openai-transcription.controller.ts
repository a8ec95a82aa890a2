import { Readable } from 'node:stream';
import { Controller, Get, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AsrError, AsrProvider, type TranscriptSegment } from '@asr/asr';
import { AudioError, TempFiles } from '@asr/audio';
import { callerOf } from '@asr/auth';
import { abortOnDisconnect } from './client-disconnect';
import {
  OpenAiDiarizedResponse,
  OpenAiJsonResponse,
  type OpenAiModelList,
  OpenAiModelList as OpenAiModelListDto,
  OpenAiTranscriptionFields,
  OpenAiTranslationFields,
  OpenAiVerboseResponse,
  type ResponseFormat,
} from './dto/openai-transcription.dto';
import { toSrt, toText, toVerboseJson, toVtt } from './formats';
import { diarizedSegment, toDiarizedJson, toOpenAiJson, tokenUsage } from './openai-bodies';
import { type OpenAiCall, type ProviderView, transcriptionCall, translationCall } from './openai-request';
import { validateFields } from './request-fields';
import { TranscriptionErrorFilter } from './transcription-error.filter';
import {
  type FinishedChunk,
  type TranscriptionRequest,
  type TranscriptionResult,
  TranscriptionService,
} from './transcription.service';
import { setServerTiming } from './server-timing';
import { readUpload, type SpooledUpload } from './upload';

const CONTENT_TYPES: Record<ResponseFormat, string> = {
  json: 'application/json; charset=utf-8',
  verbose_json: 'application/json; charset=utf-8',
  diarized_json: 'application/json; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  srt: 'text/plain; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
};

function sse(event: object): string {
  return `data: ${JSON.stringify(event)}\n\n`;
}

/** The answer in the format asked for, each shaped as the `openai` SDK's types declare it. */
function bodyFor(call: OpenAiCall, result: TranscriptionResult): string | object {
  const { transcript } = result;
  switch (call.format) {
    case 'json':
      return toOpenAiJson(transcript, result);
    case 'verbose_json':
      return toVerboseJson(transcript, call.granularities, call.task);
    case 'diarized_json':
      return toDiarizedJson(transcript, result.tokenUsage);
    case 'srt':
      return toSrt(transcript);
    case 'vtt':
      return toVtt(transcript);
    case 'text':
      return toText(transcript);
    default: {
      const unknown: never = call.format;
      throw new Error(`unknown response format ${String(unknown)}`);
    }
  }
}

/** A drop-in for OpenAI's audio API: the official SDKs work when pointed at this service's /v1. */
@ApiTags('openai-compatible')
@ApiExtraModels(OpenAiJsonResponse, OpenAiVerboseResponse, OpenAiDiarizedResponse)
@UseFilters(TranscriptionErrorFilter)
@Controller('v1')
export class OpenAiTranscriptionController {
  constructor(
    private readonly transcription: TranscriptionService,
    private readonly tempFiles: TempFiles,
    private readonly provider: AsrProvider,
  ) {}

  @Post('audio/transcriptions')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'OpenAI-compatible transcription (json, text, srt, vtt, verbose_json, diarized_json; stream=true for SSE).',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: OpenAiTranscriptionFields })
  @ApiProduces('application/json', 'text/plain', 'text/vtt', 'text/event-stream')
  @ApiOkResponse({
    schema: {
      oneOf: [OpenAiJsonResponse, OpenAiVerboseResponse, OpenAiDiarizedResponse].map((dto) => ({
        $ref: getSchemaPath(dto),
      })),
    },
    description: 'json, verbose_json or diarized_json as asked; text, srt and vtt as OpenAI sends them.',
  })
  async transcribe(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.handle(request, reply, (upload) =>
      transcriptionCall(
        validateFields(OpenAiTranscriptionFields, upload.fields, false),
        upload.fields,
        this.providerView(upload.fields),
      ),
    );
  }

  @Post('audio/translations')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'OpenAI-compatible translation into English (json, text, srt, vtt, verbose_json): remote providers translate; the embedded engine takes English audio only.',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: OpenAiTranslationFields })
  @ApiProduces('application/json', 'text/plain', 'text/vtt')
  @ApiOkResponse({
    schema: { oneOf: [OpenAiJsonResponse, OpenAiVerboseResponse].map((dto) => ({ $ref: getSchemaPath(dto) })) },
    description: 'json or verbose_json as asked; text, srt and vtt as OpenAI sends them.',
  })
  async translate(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.handle(request, reply, (upload) =>
      translationCall(validateFields(OpenAiTranslationFields, upload.fields, false), this.providerView(upload.fields)),
    );
  }

  /** What deciding a request needs of the provider: its capabilities and the model the request will get. */
  private providerView(fields: SpooledUpload['fields']): ProviderView {
    const requested = typeof fields.model === 'string' ? fields.model : undefined;
    return {
      name: this.provider.name,
      capabilities: this.provider.capabilities,
      model: this.transcription.modelFor(requested),
    };
  }

  /** Upload, checks, pipeline, answer: the same for transcriptions and translations. */
  private async handle(
    request: FastifyRequest,
    reply: FastifyReply,
    read: (upload: SpooledUpload) => OpenAiCall,
  ): Promise<void> {
    const abort = abortOnDisconnect(reply);
    const uploadStarted = performance.now();
    const upload = await readUpload(request, this.tempFiles);
    const uploadMs = performance.now() - uploadStarted;
    let streaming = false;
    try {
      const call = read(upload);
      const transcribeRequest: TranscriptionRequest = {
        ...call.request,
        signal: abort.signal,
        caller: callerOf(request).id,
      };
      if (call.stream) {
        streaming = true;
        this.stream(upload, call, transcribeRequest, reply);
        return;
      }
      const result = await this.transcription.transcribe({ path: upload.path }, transcribeRequest);
      const formatStarted = performance.now();
      const body = bodyFor(call, result);
      setServerTiming(reply, { uploadMs, ...result.timings, formatMs: performance.now() - formatStarted });
      await reply.status(200).type(CONTENT_TYPES[call.format]).send(body);
    } finally {
      if (!streaming) await upload.remove();
    }
  }

  /**
   * Server-sent events as OpenAI shapes them: one transcript.text.delta per transcribed chunk (with its logprobs
   * when asked for; with diarized_json, a transcript.text.segment per segment after it), then transcript.text.done.
   * The done event's usage is token usage only (the SDK's `TranscriptionTextDoneEvent.Usage`): sent where the
   * provider reported tokens.
   */
  private stream(upload: SpooledUpload, call: OpenAiCall, request: TranscriptionRequest, reply: FastifyReply): void {
    const events = new Readable({ read: () => undefined });
    let first = true;
    const onSegments = (segments: TranscriptSegment[], chunk: FinishedChunk): void => {
      const text = segments.map((s) => s.text).join(' ');
      if (!text) return;
      const delta = first ? text : ` ${text}`;
      events.push(
        sse({ type: 'transcript.text.delta', delta, ...(chunk.logprobs ? { logprobs: chunk.logprobs } : {}) }),
      );
      if (call.format === 'diarized_json') for (const segment of segments) events.push(sse(diarizedSegment(segment)));
      first = false;
    };
    this.transcription
      .transcribe({ path: upload.path }, { ...request, onSegments })
      .then(
        ({ transcript, logprobs, tokenUsage: tokens }) =>
          events.push(
            sse({
              type: 'transcript.text.done',
              text: transcript.text,
              ...(logprobs ? { logprobs } : {}),
              ...(tokens ? { usage: tokenUsage(tokens) } : {}),
            }),
          ),
        (error: unknown) => {
          const known = error instanceof AsrError || error instanceof AudioError;
          const message = known ? error.message : 'internal error';
          events.push(
            sse({
              type: 'error',
              error: { message, type: 'server_error', code: known ? error.code : 'internal_error' },
            }),
          );
        },
      )
      .finally(() => {
        events.push(null);
        void upload.remove();
      });
    void reply
      .status(200)
      .headers({
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      })
      .send(events);
  }

  @Get('models')
  @ApiOperation({ summary: 'OpenAI-compatible model list: the active model.' })
  @ApiOkResponse({ type: OpenAiModelListDto })
  models(): OpenAiModelList {
    return {
      object: 'list',
      data: [{ id: this.provider.defaultModel, object: 'model', created: 0, owned_by: this.provider.name }],
    };
  }
}
