import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
} from 'class-validator';

/** Translations answer in these; transcriptions also in diarized_json (openai 7.59, `AudioResponseFormat`). */
export const TRANSLATION_FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const;
export const RESPONSE_FORMATS = [...TRANSLATION_FORMATS, 'diarized_json'] as const;
export type ResponseFormat = (typeof RESPONSE_FORMATS)[number];
export type TranslationFormat = (typeof TRANSLATION_FORMATS)[number];

/** OpenAI takes up to 4 known speakers. */
const MAX_KNOWN_SPEAKERS = 4;

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

  @ApiPropertyOptional({
    type: [String],
    enum: ['logprobs'],
    name: 'include[]',
    description:
      'logprobs (response_format json, or stream=true): the remote model’s token log probabilities; the embedded engine gives one token per word, the log of its confidence.',
  })
  @IsOptional()
  @Transform(asArray)
  @IsArray()
  @IsIn(['logprobs'], { each: true })
  include?: 'logprobs'[];

  @ApiPropertyOptional({
    description:
      '`auto` (the configured VAD), or a server_vad object as JSON text, or as the fields chunking_strategy[type]=server_vad, chunking_strategy[threshold] (VAD_THRESHOLD), chunking_strategy[silence_duration_ms] (VAD_MIN_SILENCE_MS), chunking_strategy[prefix_padding_ms] (VAD_SPEECH_PAD_MS) the SDKs send: how the upload is cut at pauses.',
    example: 'auto',
  })
  // Parsed from the raw fields by parseChunkingStrategy (it takes the bracketed form too).
  @IsOptional()
  chunking_strategy?: unknown;

  @ApiPropertyOptional({
    type: [String],
    name: 'known_speaker_names[]',
    maxItems: MAX_KNOWN_SPEAKERS,
    description: 'With a diarizing model: up to 4 short names, one per known_speaker_references[] sample.',
  })
  @IsOptional()
  @Transform(asArray)
  @IsArray()
  @ArrayMaxSize(MAX_KNOWN_SPEAKERS)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  known_speaker_names?: string[];

  @ApiPropertyOptional({
    type: [String],
    name: 'known_speaker_references[]',
    maxItems: MAX_KNOWN_SPEAKERS,
    description:
      'With a diarizing model: a 2–10 s sample of each known speaker as a data URL (data:audio/…;base64,…), at most 64 KiB each (the multipart field limit).',
  })
  @IsOptional()
  @Transform(asArray)
  @IsArray()
  @ArrayMaxSize(MAX_KNOWN_SPEAKERS)
  @IsString({ each: true })
  @Matches(/^data:audio\/[\w.+-]+(;[\w=.+-]+)*;base64,/, {
    each: true,
    message: 'each of known_speaker_references[] must be a data URL of audio: data:audio/<type>;base64,<data>',
  })
  known_speaker_references?: string[];
}

/** The fields of OpenAI's POST /v1/audio/translations that this service understands. */
export class OpenAiTranslationFields {
  @ApiProperty({ type: 'string', format: 'binary' })
  // Read from the multipart file part, not from fields; declared for the OpenAPI document.
  @IsOptional()
  file?: unknown;

  @ApiPropertyOptional({ description: 'Passed to remote providers (OpenAI: whisper-1).', example: 'whisper-1' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  model?: string;

  @ApiPropertyOptional({ description: 'Passed to remote providers; it should be in English.' })
  @IsOptional()
  @IsString()
  @MaxLength(4000)
  prompt?: string;

  @ApiPropertyOptional({ enum: TRANSLATION_FORMATS, default: 'json' })
  @IsOptional()
  @IsIn(TRANSLATION_FORMATS)
  response_format?: TranslationFormat;

  @ApiPropertyOptional({ minimum: 0, maximum: 1 })
  @IsOptional()
  @Transform(asNumber)
  @IsNumber()
  @Min(0)
  @Max(1)
  temperature?: number;

  @ApiPropertyOptional({
    example: 'en',
    description:
      'Not an OpenAI field: the language spoken, when known. The embedded engine hears English only: English audio is transcribed (it is its own translation) and any other language refused with 400.',
  })
  @IsOptional()
  @IsString()
  @MaxLength(16)
  language?: string;
}

export class OpenAiLogprob {
  @ApiProperty() token!: string;
  @ApiProperty({ description: 'Natural log of the probability.' }) logprob!: number;
  @ApiProperty({ type: [Number], description: 'The token’s UTF-8 bytes.' }) bytes!: number[];
}

export class OpenAiUsage {
  @ApiProperty({ enum: ['duration', 'tokens'], description: 'tokens only where the remote model reports them.' })
  type!: 'duration' | 'tokens';
  @ApiPropertyOptional({ description: 'type duration: seconds of input audio.' }) seconds?: number;
  @ApiPropertyOptional() input_tokens?: number;
  @ApiPropertyOptional() output_tokens?: number;
  @ApiPropertyOptional() total_tokens?: number;
}

export class OpenAiJsonResponse {
  @ApiProperty() text!: string;
  @ApiPropertyOptional({ type: [OpenAiLogprob], description: 'With include[]=logprobs.' }) logprobs?: OpenAiLogprob[];
  @ApiProperty({ type: OpenAiUsage }) usage!: OpenAiUsage;
}

export class OpenAiVerboseSegment {
  @ApiProperty() id!: number;
  @ApiProperty({ description: 'The start in 10 ms frames (Whisper’s seek).' }) seek!: number;
  @ApiProperty() start!: number;
  @ApiProperty() end!: number;
  @ApiProperty() text!: string;
  @ApiProperty({ type: [Number], description: 'Token ids where the remote model gives them; else empty.' })
  tokens!: number[];
  @ApiProperty({ description: 'The remote model’s; 0 where nothing was sampled.' }) temperature!: number;
  @ApiProperty({ description: 'The remote model’s; else the mean log of the engine’s word confidences.' })
  avg_logprob!: number;
  @ApiProperty({ description: 'UTF-8 bytes of the text over their zlib-compressed size, as Whisper computes it.' })
  compression_ratio!: number;
  @ApiProperty({ description: 'The remote model’s; else 1 − the VAD’s mean speech probability over the segment.' })
  no_speech_prob!: number;
}

export class OpenAiWord {
  @ApiProperty() word!: string;
  @ApiProperty() start!: number;
  @ApiProperty() end!: number;
}

export class OpenAiVerboseResponse {
  @ApiProperty({ enum: ['transcribe', 'translate'] }) task!: 'transcribe' | 'translate';
  @ApiProperty({ example: 'english' }) language!: string;
  @ApiProperty() duration!: number;
  @ApiProperty() text!: string;
  @ApiPropertyOptional({ type: [OpenAiVerboseSegment] }) segments?: OpenAiVerboseSegment[];
  @ApiPropertyOptional({ type: [OpenAiWord] }) words?: OpenAiWord[];
  @ApiProperty({ type: OpenAiUsage }) usage!: OpenAiUsage;
}

export class OpenAiDiarizedSegment {
  @ApiProperty({ enum: ['transcript.text.segment'] }) type!: 'transcript.text.segment';
  @ApiProperty() id!: string;
  @ApiProperty() start!: number;
  @ApiProperty() end!: number;
  @ApiProperty() text!: string;
  @ApiProperty({ description: 'The model’s label: A, B, … or a known speaker’s name.' }) speaker!: string;
}

export class OpenAiDiarizedResponse {
  @ApiProperty({ enum: ['transcribe'] }) task!: 'transcribe';
  @ApiProperty() duration!: number;
  @ApiProperty() text!: string;
  @ApiProperty({ type: [OpenAiDiarizedSegment] }) segments!: OpenAiDiarizedSegment[];
  @ApiProperty({ type: OpenAiUsage }) usage!: OpenAiUsage;
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
