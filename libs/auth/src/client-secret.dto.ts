import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsArray, IsIn, IsInt, IsObject, IsOptional, Max, Min, ValidateNested } from 'class-validator';

const INCLUDABLE = ['item.input_audio_transcription.logprobs'] as const;

/** OpenAI's `expires_after`: from creation, 10 s to 2 h (this server then caps the life at 300 s). */
export class ClientSecretExpiryDto {
  @ApiPropertyOptional({ enum: ['created_at'], default: 'created_at' })
  @IsOptional()
  @IsIn(['created_at'])
  anchor?: 'created_at';

  @ApiPropertyOptional({
    minimum: 10,
    maximum: 7200,
    description:
      'Seconds the key can open sessions (default STREAM_TOKEN_TTL_S). This server grants at most 300: `expires_at` in the answer says when it really expires.',
  })
  @IsOptional()
  @IsInt()
  @Min(10)
  @Max(7200)
  seconds?: number;
}

/** The transcription session a key opens: configured as `session.update` configures it. */
export class ClientSecretSessionDto {
  @ApiProperty({ enum: ['transcription'], description: 'This server serves transcription sessions only.' })
  @IsIn(['transcription'], {
    message: 'type must be "transcription" (this server serves transcription sessions only)',
  })
  type!: 'transcription';

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description:
      '`input`: `format`, `transcription`, `turn_detection`, `noise_reduction`, as `session.update` takes them; applied to every session the key opens (checked when it opens).',
  })
  @IsOptional()
  @IsObject()
  audio?: Record<string, unknown>;

  @ApiPropertyOptional({ enum: INCLUDABLE, isArray: true })
  @IsOptional()
  @IsArray()
  @IsIn(INCLUDABLE, { each: true })
  include?: (typeof INCLUDABLE)[number][];
}

/** `POST /v1/realtime/client_secrets`, as the `openai` SDK's `client.realtime.clientSecrets.create()` sends it. */
export class ClientSecretRequestDto {
  @ApiPropertyOptional({ type: ClientSecretExpiryDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ClientSecretExpiryDto)
  expires_after?: ClientSecretExpiryDto;

  @ApiPropertyOptional({ type: ClientSecretSessionDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ClientSecretSessionDto)
  session?: ClientSecretSessionDto;
}

export class TranscriptionSessionDto {
  @ApiProperty({ example: 'sess_0f8e2c1b4d6a4e0f9b7c3a2d1e5f6a7b' }) id!: string;
  @ApiProperty({ enum: ['realtime.transcription_session'] }) object!: 'realtime.transcription_session';
  @ApiProperty({ enum: ['transcription'] }) type!: 'transcription';
  @ApiProperty({ description: 'Seconds since the epoch: when the key stops opening sessions.' }) expires_at!: number;
  @ApiPropertyOptional({ type: 'object', additionalProperties: true }) audio?: Record<string, unknown>;
  @ApiPropertyOptional({ enum: INCLUDABLE, isArray: true }) include?: (typeof INCLUDABLE)[number][];
}

export class ClientSecretDto {
  @ApiProperty({
    description:
      'The ephemeral key (`ek_…`): a browser passes it as the subprotocol `openai-insecure-api-key.<key>` (what the `openai` SDK does with it as `apiKey`) when opening /v1/realtime.',
  })
  value!: string;

  @ApiProperty({ description: 'Seconds since the epoch: when the key stops opening sessions (at most 300 s away).' })
  expires_at!: number;

  @ApiProperty({ type: TranscriptionSessionDto }) session!: TranscriptionSessionDto;
}
