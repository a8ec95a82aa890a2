import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
// Adds request.isMultipart() and request.parts() to Fastify's types.
import type {} from '@fastify/multipart';
import { TempFiles } from '@asr/audio';
import { ApiError, describeClientValue } from '@asr/observability';
import { fieldName, fieldText } from './multipart-fields';

export type UploadFields = Record<string, string | string[]>;

export interface SpooledUpload {
  fields: UploadFields;
  filename: string;
  bytes: number;
  /** Where the upload's bytes were spooled. */
  path: string;
  remove(): Promise<void>;
}

/**
 * Reads a multipart upload with its fields in any order (curl sends them as given; the OpenAI SDKs send the file
 * last). The file streams to TEMP_STORAGE_PATH, never into memory; the caller removes it when the request ends.
 */
export async function readUpload(request: FastifyRequest, tempFiles: TempFiles): Promise<SpooledUpload> {
  if (!request.isMultipart()) {
    throw new ApiError(
      415,
      'unsupported_media_type',
      'send multipart/form-data with the audio in a field named "file"',
    );
  }
  const fields: UploadFields = {};
  let file: { path: string; filename: string; bytes: number } | undefined;
  const remove = async (): Promise<void> => {
    if (file) await tempFiles.remove(file.path);
  };
  try {
    for await (const part of request.parts()) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file' || file) {
          part.file.resume();
          throw new ApiError(
            400,
            'bad_request',
            `send exactly one file, in the field "file" (got "${part.fieldname}")`,
          );
        }
        file = { path: await tempFiles.path('.upload'), filename: part.filename, bytes: 0 };
        const spool = file;
        part.file.on('data', (chunk: Buffer) => (spool.bytes += chunk.length));
        await pipeline(part.file, createWriteStream(spool.path));
      } else {
        // Busboy cuts a field at the multipart field limit and says so: a cut value (a speaker sample's data URL)
        // would pass on broken.
        if (part.valueTruncated || part.fieldnameTruncated)
          throw new ApiError(
            413,
            'field_too_large',
            `the field ${describeClientValue(part.fieldname)} is longer than a form field may be (64 KiB); send audio as the file`,
          );
        const name = fieldName(part.fieldname);
        const value = fieldText(name, part.value);
        const existing = fields[name];
        fields[name] = existing === undefined ? value : [existing, value].flat();
      }
    }
  } catch (error) {
    await remove();
    throw error;
  }
  if (!file) throw new ApiError(400, 'bad_request', 'the multipart body has no field named "file" with the audio');
  const spooled = file;
  return {
    fields,
    filename: spooled.filename,
    bytes: spooled.bytes,
    path: spooled.path,
    remove,
  };
}
