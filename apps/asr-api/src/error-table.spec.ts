import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ASR_ERROR_CODES, AsrError } from '@asr/asr';
import { AUDIO_ERROR_CODES, AudioError } from '@asr/audio';
import { DOWNLOAD_ERROR_CODES } from '@asr/jobs';
import { ERROR_TABLE, httpAnswerOf, jobFailureOf, streamFinalErrorOf } from '@asr/observability';

const ROOT = join(__dirname, '..', '..', '..');
const read = (path: string): string => readFileSync(join(ROOT, path), 'utf8');

/** Every domain code of every lib; the libs cannot share one list (audio imports nothing of ours but config). */
const LIB_CODES: readonly string[] = [...ASR_ERROR_CODES, ...AUDIO_ERROR_CODES, ...DOWNLOAD_ERROR_CODES];

type TableCode = keyof typeof ERROR_TABLE;
const isTableCode = (code: string): code is TableCode => Object.hasOwn(ERROR_TABLE, code);

/** `413 \`audio_too_long\`` wherever the prose documents a status with its code. */
function documentedStatuses(): { code: TableCode; status: number; where: string }[] {
  const found: { code: TableCode; status: number; where: string }[] = [];
  for (const where of ['README.md', 'docs/security.md', 'docs/operations.md', 'docs/deployment.md']) {
    for (const [, status, code] of read(where).matchAll(/\b([45]\d\d)\s+`([a-z_]+)`/g)) {
      if (code !== undefined && isTableCode(code)) found.push({ code, status: Number(status), where });
    }
  }
  return found;
}

describe('the error table', () => {
  it('maps every code of every lib exactly once, and nothing else', () => {
    expect(new Set(LIB_CODES).size).toBe(LIB_CODES.length);
    expect(Object.keys(ERROR_TABLE).sort()).toEqual([...LIB_CODES].sort());
  });

  it('answers REST with the statuses the docs give for each code', () => {
    const documented = documentedStatuses();
    // The prose names these; a regex that found none would prove nothing.
    expect(documented.map((d) => d.code)).toEqual(
      expect.arrayContaining([
        'audio_too_long',
        'decode_ratio_exceeded',
        'provider_error',
        'provider_rate_limited',
        'provider_timeout',
        'provider_unavailable',
        'storage_quota_exceeded',
      ]),
    );
    for (const { code, status, where } of documented) {
      expect({ code, where, status: (ERROR_TABLE[code] as { http?: number }).http }).toEqual({ code, where, status });
    }
  });

  it('answers the statuses openapi.json documents for an upload, with Retry-After where it says so', () => {
    const responses = (
      JSON.parse(read('openapi.json')) as {
        paths: Record<string, { post: { responses: Record<string, { description: string }> } }>;
      }
    ).paths['/api/v1/transcribe']!.post.responses;
    expect(responses[ERROR_TABLE.audio_too_long.http]?.description).toContain('MAX_UPLOAD_DURATION_S');
    expect(responses[ERROR_TABLE.engine_busy.http]?.description).toContain('Retry-After');
    expect(ERROR_TABLE.engine_busy.retryAfter).toBe(true);
  });

  it("names, in a stream's final, each code the AsyncAPI document gives as an example", () => {
    const document = parse(read('docs/asyncapi.yaml')) as {
      components: {
        schemas: { TranscriptFinal: { properties: { error: { properties: { code: { examples: string[] } } } } } };
      };
    };
    const examples = document.components.schemas.TranscriptFinal.properties.error.properties.code.examples;
    expect(examples.length).toBeGreaterThan(0);
    for (const code of examples) {
      expect({
        code,
        stream: isTableCode(code) ? (ERROR_TABLE[code] as { stream?: string }).stream : undefined,
      }).toEqual({ code, stream: 'final_error' });
    }
  });
});

describe('reading the error table', () => {
  it('gives REST the status, code and message, and Retry-After only where the table says so', () => {
    expect(httpAnswerOf(new AsrError('engine_busy', 'busy', 2))).toEqual({
      status: 503,
      code: 'engine_busy',
      message: 'busy',
      headers: { 'retry-after': '2' },
    });
    expect(httpAnswerOf(new AsrError('provider_timeout', 'slow', 9))?.headers).toEqual({});
    expect(httpAnswerOf(new AudioError('unsupported_format', 'a playlist'))?.status).toBe(415);
  });

  it('leaves to the catch-all what it does not know or what never reaches a route', () => {
    expect(httpAnswerOf(new Error('boom'))).toBeUndefined();
    expect(httpAnswerOf(Object.assign(new Error('x'), { code: 'ENOENT' }))).toBeUndefined();
    expect(httpAnswerOf(Object.assign(new Error('slow'), { code: 'download_too_slow' }))).toBeUndefined();
    expect(httpAnswerOf({ code: 'engine_busy', message: 'not an Error' })).toBeUndefined();
  });

  it("names engine failures in a stream's final, and no audio failure", () => {
    expect(streamFinalErrorOf(new AsrError('provider_timeout', 'slow'))).toEqual({
      code: 'provider_timeout',
      message: 'slow',
    });
    expect(streamFinalErrorOf(new AudioError('invalid_audio', 'noise'))).toBeUndefined();
  });

  it("records every domain failure's code on a job, and nothing for an unknown error", () => {
    expect(jobFailureOf(Object.assign(new Error('cut'), { code: 'download_timeout' }))).toEqual({
      code: 'download_timeout',
      message: 'cut',
    });
    expect(jobFailureOf(new AudioError('audio_too_long', 'long'))).toEqual({ code: 'audio_too_long', message: 'long' });
    expect(jobFailureOf(new Error('boom'))).toBeUndefined();
  });
});
