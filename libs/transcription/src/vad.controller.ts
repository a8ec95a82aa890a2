import { Controller, HttpCode, Post, Req, Res, UseFilters } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AudioDecoder, DecodeSlots, roundSeconds, TARGET_SAMPLE_RATE, TempFiles } from '@asr/audio';
import { callerOf } from '@asr/auth';
import { VadService } from '@asr/vad';
import { abortOnDisconnect } from './client-disconnect';
import { countSamples } from './decoded-audio';
import { TranscriptionErrorFilter } from './transcription-error.filter';
import { readUpload } from './upload';

class VadUploadFields {
  @ApiProperty({ type: 'string', format: 'binary', description: 'The audio, in any accepted format.' })
  file?: unknown;
}

export class SpeechSegmentDto {
  @ApiProperty({ description: 'Seconds from the start of the audio (padding included).' }) start!: number;
  @ApiProperty() end!: number;
  @ApiProperty({ description: 'Mean speech probability over the segment.' }) probability!: number;
}

export class VadResponse {
  @ApiProperty({ description: 'Seconds of audio.' }) duration!: number;
  @ApiProperty({ enum: ['silero', 'energy', 'ten'] }) backend!: string;
  @ApiProperty({ type: [SpeechSegmentDto] }) segments!: SpeechSegmentDto[];
}

@ApiTags('transcription')
@UseFilters(TranscriptionErrorFilter)
@Controller('api/v1')
export class VadController {
  constructor(
    private readonly decoder: AudioDecoder,
    private readonly slots: DecodeSlots,
    private readonly vad: VadService,
    private readonly tempFiles: TempFiles,
  ) {}

  @Post('vad')
  @HttpCode(200)
  @ApiOperation({ summary: 'The speech segments of an uploaded file, as the VAD finds them.' })
  @ApiConsumes('multipart/form-data')
  @ApiBody({ type: VadUploadFields })
  @ApiOkResponse({ type: VadResponse })
  async detect(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<VadResponse> {
    const abort = abortOnDisconnect(reply);
    const upload = await readUpload(request, this.tempFiles);
    const owner = callerOf(request).id;
    const release = await this.slots.acquire(owner, abort.signal).catch(async (error: unknown) => {
      await upload.remove();
      throw error;
    });
    try {
      const decoded = { samples: 0 };
      const blocks = countSamples(this.decoder.decodeFile(upload.path, { signal: abort.signal }), decoded);
      const segments: SpeechSegmentDto[] = [];
      for await (const span of this.vad.segments(blocks, { withAudio: false, owner })) {
        segments.push({
          start: roundSeconds(span.start / TARGET_SAMPLE_RATE),
          end: roundSeconds(span.end / TARGET_SAMPLE_RATE),
          probability: roundSeconds(span.probability),
        });
      }
      return {
        duration: roundSeconds(decoded.samples / TARGET_SAMPLE_RATE),
        backend: this.vad.vadStatus.running,
        segments,
      };
    } finally {
      release();
      await upload.remove();
    }
  }
}
