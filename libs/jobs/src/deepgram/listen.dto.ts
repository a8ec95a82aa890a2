import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional, ApiQuery } from '@nestjs/swagger';
import { LISTEN_PARAMS, RAW_ENCODINGS } from './listen-options';

/** The OpenAPI document's picture of Deepgram's prerecorded response (listen-response.ts holds the types). */
export class ListenWordDto {
  @ApiProperty({ description: 'Lowercase, without punctuation.' }) word!: string;
  @ApiProperty({ description: 'Seconds from the start of the audio.' }) start!: number;
  @ApiProperty() end!: number;
  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: 'Where the engine reports one.' }) confidence?: number;
  @ApiProperty({ description: 'The word as the engine wrote it.' }) punctuated_word!: string;
}

export class ListenSentenceDto {
  @ApiProperty() text!: string;
  @ApiProperty() start!: number;
  @ApiProperty() end!: number;
}

export class ListenParagraphDto {
  @ApiProperty({ type: [ListenSentenceDto] }) sentences!: ListenSentenceDto[];
  @ApiProperty() num_words!: number;
  @ApiProperty() start!: number;
  @ApiProperty() end!: number;
}

export class ListenParagraphsDto {
  @ApiProperty() transcript!: string;
  @ApiProperty({ type: [ListenParagraphDto] }) paragraphs!: ListenParagraphDto[];
}

export class ListenAlternativeDto {
  @ApiProperty() transcript!: string;
  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: "The mean of the words' confidences." })
  confidence?: number;
  @ApiProperty({ type: [ListenWordDto] }) words!: ListenWordDto[];
  @ApiPropertyOptional({ type: ListenParagraphsDto, description: 'With `paragraphs=true`: one per speech segment.' })
  paragraphs?: ListenParagraphsDto;
}

export class ListenChannelDto {
  @ApiProperty({ type: [ListenAlternativeDto] }) alternatives!: ListenAlternativeDto[];
  @ApiPropertyOptional({ description: 'With `detect_language=true`.' }) detected_language?: string;
}

export class ListenUtteranceDto {
  @ApiProperty() id!: string;
  @ApiProperty() start!: number;
  @ApiProperty() end!: number;
  @ApiPropertyOptional() confidence?: number;
  @ApiProperty() channel!: number;
  @ApiProperty() transcript!: string;
  @ApiProperty({ type: [ListenWordDto] }) words!: ListenWordDto[];
}

export class ListenResultsDto {
  @ApiProperty({ type: [ListenChannelDto] }) channels!: ListenChannelDto[];
  @ApiPropertyOptional({ type: [ListenUtteranceDto], description: 'With `utterances=true`: one per speech segment.' })
  utterances?: ListenUtteranceDto[];
}

export class ListenWarningDto {
  @ApiProperty({ example: 'diarize' }) parameter!: string;
  @ApiProperty({ example: 'unsupported_feature' }) type!: string;
  @ApiProperty() message!: string;
}

export class ListenModelInfoDto {
  @ApiProperty({ example: 'pocketsphinx-en-us' }) name!: string;
  @ApiProperty({ example: 'local', description: 'The provider.' }) arch!: string;
}

export class ListenMetadataDto {
  @ApiProperty({ description: "The request's id (for a callback request, its job's id)." }) request_id!: string;
  @ApiProperty({ description: 'SHA-256 of the audio as sent.' }) sha256!: string;
  @ApiProperty({ format: 'date-time' }) created!: string;
  @ApiProperty({ description: 'Seconds of audio.' }) duration!: number;
  @ApiProperty({ description: 'Always 1: audio is mixed down.' }) channels!: number;
  @ApiProperty({ type: [String], description: 'Keys of model_info.' }) models!: string[];
  @ApiProperty({ type: 'object', additionalProperties: { $ref: '#/components/schemas/ListenModelInfoDto' } })
  model_info!: Record<string, ListenModelInfoDto>;
  @ApiPropertyOptional({
    type: [ListenWarningDto],
    description: 'Features asked for that this server does not perform.',
  })
  warnings?: ListenWarningDto[];
  @ApiPropertyOptional({ type: [String], description: 'The request’s `tag` values.' }) tags?: string[];
  @ApiPropertyOptional({ type: 'object', additionalProperties: { type: 'string' }, description: 'The `extra` pairs.' })
  extra?: Record<string, string>;
}

export class ListenResponseDto {
  @ApiProperty({ type: ListenMetadataDto }) metadata!: ListenMetadataDto;
  @ApiProperty({ type: ListenResultsDto }) results!: ListenResultsDto;
}

export class ListenAcceptedDto {
  @ApiProperty({ description: 'The job that runs it: GET /api/v1/jobs/{request_id} shows its progress.' })
  request_id!: string;
}

export class ListenUrlRequest {
  @ApiProperty({
    description: 'http(s) URL of the audio (JOBS_ALLOW_URLS=true).',
    example: 'https://example.com/a.mp3',
  })
  url!: string;
}

export class ListenErrorDto {
  @ApiProperty({ example: 'invalid_parameter', description: "This service's error code." }) err_code!: string;
  @ApiProperty() err_msg!: string;
  @ApiProperty() request_id!: string;
}

const DESCRIPTIONS: Record<string, string> = {
  callback: 'Answer `{request_id}` at once and POST the response there when done (signed like job webhooks).',
  callback_method: '`POST` only.',
  encoding: `For headerless audio: ${Object.keys(RAW_ENCODINGS).join(', ')} (with sample_rate); others are read from their container.`,
  sample_rate: 'Of headerless audio (with encoding).',
  channels: 'Of headerless audio (with encoding); mixed down.',
  language: 'BCP-47; the engine must support it.',
  model: "Accepted; the server's own model transcribes (a warning says so).",
  keyterm: 'Sent as the prompt to engines that take one.',
  keywords: 'As keyterm.',
  utterances: 'One utterance per speech segment.',
  paragraphs: 'One paragraph per speech segment.',
  detect_language: 'Reports the language the engine transcribed.',
  tag: 'Echoed in metadata.tags.',
  extra: '`key:value`, echoed in metadata.extra.',
};

/** Every known parameter as an optional query parameter of the OpenAPI document. */
export function ApiListenQuery(): MethodDecorator {
  const describe = (name: string): string =>
    DESCRIPTIONS[name] ?? 'Accepted; when turned on, metadata.warnings says this server does not perform it.';
  return applyDecorators(
    ...LISTEN_PARAMS.boolean.map((name) =>
      ApiQuery({ name, required: false, type: Boolean, description: describe(name) }),
    ),
    ...LISTEN_PARAMS.text.map((name) => ApiQuery({ name, required: false, type: String, description: describe(name) })),
    ...LISTEN_PARAMS.number.map((name) =>
      ApiQuery({ name, required: false, type: Number, description: describe(name) }),
    ),
    ...LISTEN_PARAMS.list.map((name) =>
      ApiQuery({ name, required: false, type: String, isArray: true, description: describe(name) }),
    ),
  );
}
