// The parts of the API the page reads, as the OpenAPI document (REST) and docs/asyncapi.yaml (streaming) define them.

export interface Segment {
  id?: number;
  start: number;
  end: number;
  text: string;
}

export interface Transcript {
  text: string;
  segments: Segment[];
  language?: string;
  duration?: number;
}

export interface ProviderInfo {
  provider: string;
  model: string;
  capabilities: { languages: string[] };
}

export interface ErrorBody {
  code?: string;
  message?: string;
}

export interface Job {
  id: string;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
  progress: { done_seconds: number; total_seconds?: number; fraction?: number };
  error?: { code: string; message: string };
}

/** The streaming events the page acts on, with the fields it reads (docs/asyncapi.yaml has every field). */
export type ServerEvent =
  | { type: 'session.started' | 'session.closed' }
  | { type: 'speech.started' | 'speech.stopped'; segment_id: number }
  | {
      type: 'transcript.partial' | 'transcript.final';
      segment_id: number;
      text: string;
      start: number;
      end: number;
      /** Finals only: the utterance could not be transcribed; the session goes on. */
      error?: { message: string };
    }
  | { type: 'error'; code: string; message: string; fatal: boolean; retry_after?: number };
