import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';

const LANGUAGE = /^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})?$/;

export class NativeTranscriptionFields {
  @ApiProperty({ type: 'string', format: 'binary', description: 'The audio: WAV, MP3, OGG/Opus, FLAC, M4A, WebM, …' })
  // Read from the multipart file part, not from fields; declared for the OpenAPI document.
  @IsOptional()
  file?: unknown;

  @ApiPropertyOptional({ description: 'ISO-639-1 language of the speech, e.g. `en`.', example: 'en' })
  @IsOptional()
  @IsString()
  @Matches(LANGUAGE, { message: 'language must be an ISO-639-1 code such as "en"' })
  language?: string;

  @ApiPropertyOptional({ description: 'Text that guides spelling and style (remote providers).', maxLength: 4000 })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  prompt?: string;

  @ApiPropertyOptional({ enum: ['segment', 'word'], default: 'segment', description: '`word` adds word timings.' })
  @IsOptional()
  @IsIn(['segment', 'word'])
  timestamps?: 'segment' | 'word';
}

export class WordDto {
  @ApiProperty() word!: string;
  @ApiProperty({ description: 'Seconds from the start of the audio.' }) start!: number;
  @ApiProperty() end!: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 1 }) confidence?: number;
}

export class SegmentDto {
  @ApiProperty() id!: number;
  @ApiProperty() start!: number;
  @ApiProperty() end!: number;
  @ApiProperty() text!: string;
  @ApiPropertyOptional({ type: [WordDto] }) words?: WordDto[];
  @ApiPropertyOptional({
    description:
      'Mean natural log of the token probabilities: a Whisper server’s own, or of the engine’s word confidences.',
  })
  avgLogprob?: number;
  @ApiPropertyOptional({
    minimum: 0,
    maximum: 1,
    description: 'A Whisper server’s own, or 1 − the VAD’s mean speech probability over the segment.',
  })
  noSpeechProb?: number;
  @ApiPropertyOptional({ description: 'A Whisper server’s own.' }) compressionRatio?: number;
  @ApiPropertyOptional({ description: 'A Whisper server’s own.' }) temperature?: number;
  @ApiPropertyOptional({ type: [Number], description: 'A Whisper server’s token ids.' }) tokens?: number[];
  @ApiPropertyOptional({ description: 'The speaker a diarizing model labelled.' }) speaker?: string;
}

export class NativeTranscriptionResponse {
  @ApiProperty() text!: string;
  @ApiProperty({ example: 'en' }) language!: string;
  @ApiProperty({ description: 'Seconds of audio.' }) duration!: number;
  @ApiProperty({ type: [SegmentDto] }) segments!: SegmentDto[];
  @ApiPropertyOptional({ type: [WordDto], description: 'With `timestamps=word`.' }) words?: WordDto[];
  @ApiProperty({ example: 'local' }) provider!: string;
  @ApiProperty({ example: 'pocketsphinx-en-us' }) model!: string;
  @ApiProperty({ description: 'Server-side processing time.' }) processing_ms!: number;
}

export class ProviderCapabilitiesDto {
  @ApiProperty() streamingPartials!: boolean;
  @ApiProperty() wordTimestamps!: boolean;
  @ApiProperty({ type: [String] }) languages!: string[];
  @ApiProperty({ type: [String] }) honoredFields!: string[];
  @ApiProperty({ type: [String], description: 'Accepted but without effect on this provider.' })
  ignoredFields!: string[];
  @ApiProperty({ type: Number, nullable: true }) maxRequestBytes!: number | null;
  @ApiProperty() maxChunkSeconds!: number;
  @ApiProperty({ description: 'Whether several speech spans are sent in one call.' }) joinsSpeechSpans!: boolean;
  @ApiProperty({ description: 'Calls served at once; an upload runs at most this many chunks together.' })
  parallelCalls!: number;
  @ApiProperty({
    enum: ['remote', 'english-source'],
    description: '/v1/audio/translations: the server translates, or English audio only is taken (and transcribed).',
  })
  translation!: 'remote' | 'english-source';
  @ApiProperty({
    enum: ['diarize-models', 'any-model', 'none'],
    description: 'diarized_json: models named *diarize* only, any model (the server decides), or none.',
  })
  diarization!: 'diarize-models' | 'any-model' | 'none';
}

export class ProviderInfoResponse {
  @ApiProperty({ enum: ['local', 'openai', 'fireworks', 'openai-compatible'] }) provider!: string;
  @ApiProperty() model!: string;
  @ApiProperty({ type: ProviderCapabilitiesDto }) capabilities!: ProviderCapabilitiesDto;
}
