import { Controller, Get, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import {
  ApiBody,
  ApiConsumes,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AsrProvider } from '@asr/asr';
import { TempFiles } from '@asr/audio';
import { callerOf } from '@asr/auth';
import { abortOnDisconnect } from './client-disconnect';
import {
  NativeTranscriptionFields,
  type NativeTranscriptionResponse,
  NativeTranscriptionResponse as NativeTranscriptionResponseDto,
  type ProviderInfoResponse,
  ProviderInfoResponse as ProviderInfoResponseDto,
} from './dto/native-transcription.dto';
import { allWords } from './formats';
import { normaliseLanguage, validateFields } from './request-fields';
import { TranscriptionErrorFilter } from './transcription-error.filter';
import { TranscriptionService } from './transcription.service';
import { setServerTiming } from './server-timing';
import { readUpload } from './upload';

@ApiTags('transcription')
@UseFilters(TranscriptionErrorFilter)
@Controller('api/v1')
export class NativeTranscriptionController {
  constructor(
    private readonly transcription: TranscriptionService,
    private readonly tempFiles: TempFiles,
    private readonly provider: AsrProvider,
  ) {}

  @Post('transcribe')
  @HttpCode(200)
  @ApiOperation({ summary: 'Transcribe an uploaded audio file.' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: NativeTranscriptionFields })
  @ApiOkResponse({ type: NativeTranscriptionResponseDto })
  @ApiPayloadTooLargeResponse({ description: 'Upload above MAX_UPLOAD_BYTES or audio above MAX_UPLOAD_DURATION_S.' })
  @ApiServiceUnavailableResponse({ description: 'The engine is at capacity or loading (see Retry-After).' })
  async transcribe(
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<NativeTranscriptionResponse> {
    const abort = abortOnDisconnect(reply);
    const uploadStarted = performance.now();
    const upload = await readUpload(request, this.tempFiles);
    const uploadMs = performance.now() - uploadStarted;
    try {
      const fields = validateFields(NativeTranscriptionFields, upload.fields, true);
      const wordTimestamps = fields.timestamps === 'word';
      const result = await this.transcription.transcribe(
        { path: upload.path },
        {
          language: normaliseLanguage(fields.language),
          prompt: fields.prompt,
          wordTimestamps,
          signal: abort.signal,
          caller: callerOf(request).id,
        },
      );
      const formatStarted = performance.now();
      const body: NativeTranscriptionResponse = {
        ...result.transcript,
        ...(wordTimestamps ? { words: allWords(result.transcript) } : {}),
        provider: result.provider,
        model: result.model,
        processing_ms: result.processingMs,
      };
      setServerTiming(reply, { uploadMs, ...result.timings, formatMs: performance.now() - formatStarted });
      return body;
    } finally {
      await upload.remove();
    }
  }

  @Get('providers')
  @ApiOperation({ summary: 'The active ASR provider, its model and what it can do.' })
  @ApiOkResponse({ type: ProviderInfoResponseDto })
  providers(): ProviderInfoResponse {
    return {
      provider: this.provider.name,
      model: this.provider.defaultModel,
      capabilities: this.provider.capabilities,
    };
  }
}
