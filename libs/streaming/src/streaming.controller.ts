import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { AsrProvider } from '@asr/asr';
import { type Caller, RequestCaller } from '@asr/auth';
import { AppConfig } from '@asr/config';
import { VadService } from '@asr/vad';
import { StreamingService } from './streaming.service';
import { StreamingStats } from './streaming-stats';

export class VadHealthDto {
  @ApiProperty({ enum: ['silero', 'energy', 'ten'], description: 'The backend configured by VAD_BACKEND.' })
  requested!: string;
  @ApiProperty({ enum: ['silero', 'energy', 'ten'], description: 'The backend running.' }) running!: string;
  @ApiProperty({ description: 'True when the requested backend could not load and the energy detector stands in.' })
  degraded!: boolean;
  @ApiPropertyOptional({ description: 'Why it is degraded.' }) reason?: string;
}

export class ProviderHealthDto {
  @ApiProperty({ description: 'ASR_PROVIDER.' }) name!: string;
  @ApiProperty({ enum: ['up', 'degraded', 'down'] }) status!: string;
  @ApiProperty({ description: 'Whether finals can be produced now.' }) ready!: boolean;
  @ApiPropertyOptional({ description: 'What is wrong, when it is not up.' }) message?: string;
}

export class CapacityDto {
  @ApiProperty({ description: 'Streams open now.' }) active!: number;
  @ApiProperty({ description: 'STREAMING_MAX_CLIENTS.' }) max!: number;
}

export class StreamingHealthResponse {
  @ApiProperty({ type: VadHealthDto }) vad!: VadHealthDto;
  @ApiProperty({ type: ProviderHealthDto }) provider!: ProviderHealthDto;
  @ApiProperty({ type: CapacityDto }) capacity!: CapacityDto;
}

/** The state of live streaming and what it depends on, and its running totals. */
@ApiTags('streaming')
@Controller('api/v1')
export class StreamingController {
  constructor(
    private readonly vad: VadService,
    private readonly provider: AsrProvider,
    private readonly streaming: StreamingService,
    private readonly stats: StreamingStats,
    private readonly config: AppConfig,
  ) {}

  @Get('streaming-health')
  @ApiOperation({ summary: 'What live streaming depends on: the VAD backend, the provider, and free capacity.' })
  @ApiOkResponse({ type: StreamingHealthResponse })
  streamingHealth(): StreamingHealthResponse {
    const { status, message } = this.provider.health();
    return {
      vad: { ...this.vad.vadStatus },
      provider: { name: this.provider.name, status, ready: status !== 'down', ...(message && { message }) },
      capacity: { active: this.streaming.active, max: this.config.streaming.maxClients },
    };
  }

  @Get('streaming-stats')
  @ApiOperation({
    summary:
      'Streaming totals (sessions, audio seconds, utterances, finals, errors, close reasons), end-of-speech → final ' +
      'latency percentiles, and per-session summaries (no audio, no text) for admin keys (API_ADMIN_KEYS) only.',
  })
  @ApiOkResponse({ description: 'The counters since start.' })
  streamingStats(@RequestCaller() caller: Caller): Record<string, unknown> {
    const snapshot = this.stats.snapshot();
    if (caller.admin) return snapshot;
    // Other keys' sessions are theirs: everyone else gets the totals.
    const { sessions: _sessions, recent_sessions: _recent, ...totals } = snapshot;
    return totals;
  }
}
