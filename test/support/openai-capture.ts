import { dirname, join } from 'node:path';
import { DeclaredTypes } from './declared-types';

/** One response the `openai` SDK read from this service, with what was asked of it. */
export interface CapturedResponse {
  path: string;
  /** The multipart `response_format` sent (undefined: OpenAI's default, json). */
  format: string | undefined;
  stream: boolean;
  status: number;
  contentType: string;
  body: string;
}

/** A text field of the multipart form the SDK sent. */
function fieldOf(form: FormData | undefined, name: string): string | undefined {
  const value = form?.get(name);
  return typeof value === 'string' ? value : undefined;
}

/** A `fetch` for the SDK (its `fetch` option) that records every response it reads, bodies included. */
export function capturingFetch(captured: Promise<CapturedResponse>[]): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    // The SDK probes its fetch once with a `data:` URL; only this service's answers are captured.
    if (!url.protocol.startsWith('http')) return response;
    const form = init?.body instanceof FormData ? init.body : undefined;
    // A clone: the SDK reads the original (a stream as it arrives), the capture the copy, when it is done.
    const copy = response.clone();
    captured.push(
      copy.text().then((body) => ({
        path: url.pathname,
        format: fieldOf(form, 'response_format'),
        stream: fieldOf(form, 'stream') === 'true',
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        body,
      })),
    );
    return response;
  };
}

/** A value to check and the SDK type it must conform to. */
interface Expectation {
  what: string;
  type: string;
  value: unknown;
}

function dataEvents(body: string): unknown[] {
  return body
    .split('\n\n')
    .filter((block) => block.startsWith('data: '))
    .map((block) => JSON.parse(block.slice('data: '.length)) as unknown);
}

/** The SDK type (openai 7.59's resources/**.d.ts) each captured JSON value must conform to, or a problem. */
function expectationsOf(response: CapturedResponse): Expectation[] | string {
  const what = `${response.path} ${response.format ?? 'json'}${response.stream ? ' stream' : ''} ${response.status}`;
  const json = (): unknown => {
    try {
      return JSON.parse(response.body) as unknown;
    } catch {
      return `not JSON: ${response.body.slice(0, 80)}`;
    }
  };
  // OpenAI's error envelope: `{error: ErrorObject}` (resources/shared.d.ts); the SDK's APIError reads it.
  if (response.status >= 400) return [{ what, type: 'ErrorObject', value: (json() as { error?: unknown }).error }];
  if (response.path === '/v1/models')
    return ((json() as { data?: unknown[] }).data ?? [undefined]).map((value) => ({ what, type: 'Model', value }));
  const translation = response.path === '/v1/audio/translations';
  if (response.stream) {
    const names: Record<string, string> = {
      'transcript.text.delta': 'TranscriptionTextDeltaEvent',
      'transcript.text.done': 'TranscriptionTextDoneEvent',
      'transcript.text.segment': 'TranscriptionTextSegmentEvent',
    };
    const events = dataEvents(response.body);
    const unknown = events.find((e) => !Object.hasOwn(names, (e as { type?: string }).type ?? ''));
    if (unknown) return `${what}: an event the SDK declares no type for: ${JSON.stringify(unknown)}`;
    return events.map((value) => ({ what, type: names[(value as { type: string }).type]!, value }));
  }
  switch (response.format ?? 'json') {
    case 'json':
      return [{ what, type: translation ? 'Translation' : 'Transcription', value: json() }];
    case 'verbose_json':
      return [{ what, type: translation ? 'TranslationVerbose' : 'TranscriptionVerbose', value: json() }];
    case 'diarized_json':
      return [{ what, type: 'TranscriptionDiarized', value: json() }];
    case 'text':
    case 'srt':
    case 'vtt':
      return response.contentType.startsWith('text/') ? [] : `${what}: not text but ${response.contentType}`;
    default:
      return `${what}: a format the SDK does not know`;
  }
}

/** The `openai` SDK's own declarations, read with the TypeScript compiler (test/support/declared-types.ts). */
export class OpenAiDeclaredTypes {
  private readonly audio: DeclaredTypes;
  private readonly shared: DeclaredTypes;
  private readonly models: DeclaredTypes;

  constructor() {
    // The package exports no package.json: its main module lies at its root.
    const root = join(dirname(require.resolve('openai')), 'resources');
    this.audio = new DeclaredTypes(join(root, 'audio/index.d.ts'));
    this.shared = new DeclaredTypes(join(root, 'shared.d.ts'));
    this.models = new DeclaredTypes(join(root, 'models.d.ts'));
  }

  violations(value: unknown, type: string): string[] {
    const types = type === 'ErrorObject' ? this.shared : type === 'Model' ? this.models : this.audio;
    return types.violations(value, type);
  }

  /**
   * Every problem of every captured response: a JSON value short of a field its SDK type requires, or with a field
   * of another kind than declared, or a response of no type the SDK declares. With the kinds of values checked.
   */
  check(responses: readonly CapturedResponse[]): { problems: string[]; checked: Record<string, number> } {
    const problems: string[] = [];
    const checked: Record<string, number> = {};
    for (const response of responses) {
      const expectations = expectationsOf(response);
      if (typeof expectations === 'string') {
        problems.push(expectations);
        continue;
      }
      for (const { what, type, value } of expectations) {
        checked[type] = (checked[type] ?? 0) + 1;
        problems.push(...this.violations(value, type).map((problem) => `${what}: ${problem}`));
      }
    }
    return { problems, checked };
  }
}
