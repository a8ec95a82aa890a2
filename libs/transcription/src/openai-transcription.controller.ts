import { Readable } from 'node:stream';
import { Controller, Get, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AsrError, AsrProvider, type TranscriptSegment } from '@asr/asr';
import { AudioError, TempFiles } from '@asr/audio';
import { callerOf } from '@asr/auth';
import { abortOnDisconnect } from './client-disconnect';
import {
  OpenAiJsonResponse,
  type OpenAiModelList,
  OpenAiModelList as OpenAiModelListDto,
  OpenAiTranscriptionFields,
  type ResponseFormat,
} from './dto/openai-transcription.dto';
import { toSrt, toText, toVerboseJson, toVtt } from './formats';
import { normaliseLanguage, validateFields } from './request-fields';
import { TranscriptionErrorFilter } from './transcription-error.filter';
import { type TranscriptionRequest, TranscriptionService } from './transcription.service';
import { setServerTiming } from './server-timing';
import { readUpload, type SpooledUpload } from './upload';

const CONTENT_TYPES: Record<ResponseFormat, string> = {
  json: 'application/json; charset=utf-8',
  verbose_json: 'application/json; charset=utf-8',
  text: 'text/plain; charset=utf-8',
  srt: 'text/plain; charset=utf-8',
  vtt: 'text/vtt; charset=utf-8',
};

function sse(event: object): string {
  return `data: ${JSON.stringify(event)}\n\n`;
}

/** A drop-in for OpenAI's audio API: the official SDKs work when pointed at this service's /v1. */
@ApiTags('openai-compatible')
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
    summary: 'OpenAI-compatible transcription (json, text, srt, vtt, verbose_json; stream=true for SSE).',
  })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: OpenAiTranscriptionFields })
  @ApiProduces('application/json', 'text/plain', 'text/vtt', 'text/event-stream')
  @ApiOkResponse({
    type: OpenAiJsonResponse,
    description: 'With response_format=json; other formats as OpenAI sends them.',
  })
  async transcribe(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const abort = abortOnDisconnect(reply);
    const uploadStarted = performance.now();
    const upload = await readUpload(request, this.tempFiles);
    const uploadMs = performance.now() - uploadStarted;
    let streaming = false;
    try {
      const fields = validateFields(OpenAiTranscriptionFields, upload.fields, false);
      const format: ResponseFormat = fields.response_format ?? 'json';
      const granularities = new Set(fields.timestamp_granularities ?? []);
      const transcribeRequest: TranscriptionRequest = {
        language: normaliseLanguage(fields.language),
        prompt: fields.prompt,
        temperature: fields.temperature,
        model: fields.model,
        wordTimestamps: granularities.has('word'),
        signal: abort.signal,
        caller: callerOf(request).id,
      };
      if (fields.stream) {
        streaming = true;
        this.stream(upload, transcribeRequest, reply);
        return;
      }
      const { transcript, timings } = await this.transcription.transcribe({ path: upload.path }, transcribeRequest);
      const formatStarted = performance.now();
      const body =
        format === 'json'
          ? { text: transcript.text }
          : format === 'verbose_json'
            ? toVerboseJson(transcript, granularities)
            : format === 'srt'
              ? toSrt(transcript)
              : format === 'vtt'
                ? toVtt(transcript)
                : toText(transcript);
      setServerTiming(reply, { uploadMs, ...timings, formatMs: performance.now() - formatStarted });
      await reply.status(200).type(CONTENT_TYPES[format]).send(body);
    } finally {
      if (!streaming) await upload.remove();
    }
  }

  /** Server-sent events as OpenAI shapes them: one transcript.text.delta per transcribed chunk, then done. */
  private stream(upload: SpooledUpload, request: TranscriptionRequest, reply: FastifyReply): void {
    const events = new Readable({ read: () => undefined });
    let first = true;
    const onSegments = (segments: TranscriptSegment[]): void => {
      const text = segments.map((s) => s.text).join(' ');
      if (!text) return;
      events.push(sse({ type: 'transcript.text.delta', delta: first ? text : ` ${text}`, logprobs: null }));
      first = false;
    };
    this.transcription
      .transcribe({ path: upload.path }, { ...request, onSegments })
      .then(
        ({ transcript }) => events.push(sse({ type: 'transcript.text.done', text: transcript.text, logprobs: null })),
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
