import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsArray, IsBoolean, IsIn, IsNumber, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';

export const RESPONSE_FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const;
export type ResponseFormat = (typeof RESPONSE_FORMATS)[number];

const asArray = ({ value }: { value: unknown }): unknown => (Array.isArray(value) ? value : [value]);
const asNumber = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
const asBoolean = ({ value }: { value: unknown }): unknown =>
  value === 'true' ? true : value === 'false' ? false : value;

/** The fields of OpenAI's POST /v1/audio/transcriptions that this service understands. */
export class OpenAiTranscriptionFields {
  @ApiProperty({ type: 'string', format: 'binary' })
  // Read from the multipart file part, not from fields; declared for the OpenAPI document.
  @IsOptional()
  file?: unknown;

  @ApiPropertyOptional({
    description: 'Passed to remote providers; the embedded engine reports its own.',
    example: 'whisper-1',
  })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  @ApiPropertyOptional({ example: 'en' })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  language?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  prompt?: string;

  @ApiPropertyOptional({ enum: RESPONSE_FORMATS, default: 'json' })
  @IsOptional()
  @IsIn(RESPONSE_FORMATS)
  response_format?: ResponseFormat;

  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @Transform(asNumber)
  @IsNumber()
  @Min(0)
  @Max(1)
  temperature?: number;

  @ApiPropertyOptional({ type: [String], enum: ['word', 'segment'], name: 'timestamp_granularities[]' })
  @IsOptional()
  @Transform(asArray)
  @IsArray()
  @IsIn(['word', 'segment'], { each: true })
  timestamp_granularities?: ('word' | 'segment')[];

  @ApiPropertyOptional({ description: 'Answer with server-sent events transcript.text.delta / transcript.text.done.' })
  @IsOptional()
  @Transform(asBoolean)
  @IsBoolean()
  stream?: boolean;
}

export class OpenAiJsonResponse {
  @ApiProperty() text!: string;
}

export class OpenAiModel {
  @ApiProperty() id!: string;
  @ApiProperty({ enum: ['model'] }) object!: 'model';
  @ApiProperty() created!: number;
  @ApiProperty() owned_by!: string;
}

export class OpenAiModelList {
  @ApiProperty({ enum: ['list'] }) object!: 'list';
  @ApiProperty({ type: [OpenAiModel] }) data!: OpenAiModel[];
}
