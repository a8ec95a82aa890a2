import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './generated/schema';

export type { components, paths };
export type Transcription = components['schemas']['NativeTranscriptionResponse'];
export type ProviderInfo = components['schemas']['ProviderInfoResponse'];
export type AsrClient = Client<paths>;

export interface TranscribeFields {
  language?: string;
  prompt?: string;
  timestamps?: 'segment' | 'word';
}

/** A client for asr-api-service; every path, body and response typed from the service's OpenAPI document. */
export function createAsrClient(baseUrl: string, init: { headers?: Record<string, string> } = {}): AsrClient {
  return createClient<paths>({ baseUrl, headers: init.headers });
}

/** POST /api/v1/transcribe with a file; the multipart body is built here, the answer is typed. */
export async function transcribe(
  client: AsrClient,
  audio: Blob,
  filename: string,
  fields: TranscribeFields = {},
): Promise<Transcription> {
  const { data, error, response } = await client.POST('/api/v1/transcribe', {
    body: { ...fields, file: filename },
    bodySerializer: () => {
      const form = new FormData();
      for (const [name, value] of Object.entries(fields) as [string, string | undefined][]) {
        if (value !== undefined) form.append(name, value);
      }
      form.append('file', audio, filename);
      return form;
    },
  });
  if (!data) throw new Error(`transcribe failed with ${response.status}: ${JSON.stringify(error)}`);
  return data;
}
