import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { Transform, Type } from 'class-transformer';
import { NativeTranscriptionFields, NativeTranscriptionResponse } from '@asr/transcription';
import { JOB_STATUSES, type JobStatus } from './job';

/** Multipart fields of a job upload: the REST transcription's, plus where to call back. */
export class JobUploadFields extends NativeTranscriptionFields {
  @ApiPropertyOptional({
    description: 'Called (POST, signed) when the job succeeds or fails.',
    example: 'https://example.com/hooks/asr',
  })
  @IsOptional()
  @IsString()
  @MaxLength(2048)
  webhook_url?: string;

  @ApiPropertyOptional({
    enum: ['true', 'false'],
    default: 'false',
    description:
      "Keep the recording (as sent, and decoded) after the job succeeds; it counts against the key's JOBS_STORAGE_QUOTA_MB until the job expires.",
  })
  @IsOptional()
  // Multipart sends text; a JSON body may send a boolean.
  @Transform(({ value }: { value: unknown }) => (typeof value === 'boolean' ? String(value) : value))
  @IsIn(['true', 'false'])
  keep_audio?: 'true' | 'false';
}

/** A JSON job: the audio is fetched from `url` (JOBS_ALLOW_URLS=true). */
export class JobUrlRequest extends OmitType(JobUploadFields, ['file'] as const) {
  @ApiProperty({ description: 'http(s) URL of the audio.', example: 'https://example.com/meeting.mp3' })
  @IsString()
  @MaxLength(2048)
  url!: string;
}

export class JobListQuery {
  @ApiPropertyOptional({ default: 0, minimum: 0 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  offset?: number;

  @ApiPropertyOptional({ default: 20, minimum: 1, maximum: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ enum: JOB_STATUSES })
  @IsOptional()
  @IsIn(JOB_STATUSES)
  status?: JobStatus;
}

export const RESULT_FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const;
export type ResultFormat = (typeof RESULT_FORMATS)[number];

export class JobResultQuery {
  @ApiPropertyOptional({ enum: RESULT_FORMATS, default: 'json' })
  @IsOptional()
  @IsIn(RESULT_FORMATS)
  format?: ResultFormat;
}

export class JobProgressDto {
  @ApiProperty({ description: 'Seconds of the recording transcribed so far.' }) done_seconds!: number;
  @ApiPropertyOptional({ description: 'Seconds in the recording, once decoded.' }) total_seconds?: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 1 }) fraction?: number;
}

export class JobErrorDto {
  @ApiProperty({ example: 'decode_failed' }) code!: string;
  @ApiProperty() message!: string;
}

export class WebhookAttemptDto {
  @ApiProperty({ format: 'date-time' }) at!: string;
  @ApiPropertyOptional({ description: "The receiver's HTTP status." }) status?: number;
  @ApiPropertyOptional() error?: string;
}

export class JobWebhookDto {
  @ApiProperty() url!: string;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'] }) state!: string;
  @ApiProperty({ type: [WebhookAttemptDto] }) attempts!: WebhookAttemptDto[];
  @ApiPropertyOptional({ format: 'date-time' }) next_attempt_at?: string;
}

export class JobLinksDto {
  @ApiProperty() self!: string;
  @ApiProperty() result!: string;
  @ApiProperty() events!: string;
}

export class JobOptionsDto {
  @ApiPropertyOptional() language?: string;
  @ApiPropertyOptional() prompt?: string;
  @ApiProperty({ enum: ['segment', 'word'] }) timestamps!: string;
}

export class JobSourceDto {
  @ApiPropertyOptional() filename?: string;
  @ApiPropertyOptional() url?: string;
  @ApiPropertyOptional() bytes?: number;
}

export class JobDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: JOB_STATUSES }) status!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
  @ApiPropertyOptional({ format: 'date-time' }) started_at?: string;
  @ApiPropertyOptional({ format: 'date-time' }) finished_at?: string;
  @ApiProperty({ type: JobProgressDto }) progress!: JobProgressDto;
  @ApiProperty({ description: 'Times a runner started on it; above 1 it was resumed.' }) runs!: number;
  @ApiPropertyOptional({ description: 'The process running it (`host:pid`), while it runs.' }) runner?: string;
  @ApiProperty({ type: JobOptionsDto }) options!: JobOptionsDto;
  @ApiProperty({ type: JobSourceDto }) source!: JobSourceDto;
  @ApiPropertyOptional({ type: JobErrorDto }) error?: JobErrorDto;
  @ApiPropertyOptional({ type: JobWebhookDto }) webhook?: JobWebhookDto;
  @ApiProperty({ type: JobLinksDto }) links!: JobLinksDto;
}

export class JobAcceptedDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['queued'] }) status!: string;
  @ApiProperty({ type: JobLinksDto }) links!: JobLinksDto;
}

export class JobListDto {
  @ApiProperty({ type: [JobDto] }) jobs!: JobDto[];
  @ApiProperty() total!: number;
  @ApiProperty() offset!: number;
  @ApiProperty() limit!: number;
}

export class JobResultDto extends OmitType(NativeTranscriptionResponse, ['processing_ms'] as const) {
  @ApiProperty({ format: 'uuid' }) job_id!: string;
  @ApiProperty({ description: 'Server-side processing time of the last run.' }) processing_ms!: number;
}
