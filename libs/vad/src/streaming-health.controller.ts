import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { VadService } from './vad.service';

export class VadHealthDto {
  @ApiProperty({ enum: ['silero', 'energy', 'ten'], description: 'The backend configured by VAD_BACKEND.' })
  requested!: string;
  @ApiProperty({ enum: ['silero', 'energy', 'ten'], description: 'The backend running.' }) running!: string;
  @ApiProperty({ description: 'True when the requested backend could not load and the energy detector stands in.' })
  degraded!: boolean;
  @ApiPropertyOptional({ description: 'Why it is degraded.' }) reason?: string;
}

export class StreamingHealthResponse {
  @ApiProperty({ type: VadHealthDto }) vad!: VadHealthDto;
}

/** What live streaming depends on; the VAD part now (capacity and provider state come with the streaming API). */
@ApiTags('health')
@Controller('api/v1')
export class StreamingHealthController {
  constructor(private readonly vad: VadService) {}

  @Get('streaming-health')
  @ApiOperation({ summary: 'The state of what live streaming depends on: the VAD backend (and why it is degraded).' })
  @ApiOkResponse({ type: StreamingHealthResponse })
  streamingHealth(): StreamingHealthResponse {
    return { vad: { ...this.vad.vadStatus } };
  }
}
