import type { PipelineEvent } from './pipeline-events';
import type { ServerEvent } from './protocol';

/** A pipeline event as the native protocol (docs/asyncapi.yaml) writes it; a discard (never asked for) has none. */
export function nativeEvent(event: Exclude<PipelineEvent, { type: 'failed' }>): ServerEvent | undefined {
  switch (event.type) {
    case 'speech-started':
      return { type: 'speech.started', segment_id: event.segmentId, start: event.start };
    case 'speech-stopped':
      return { type: 'speech.stopped', segment_id: event.segmentId, end: event.end };
    case 'speech-discarded':
      return undefined;
    case 'partial':
      return {
        type: 'transcript.partial',
        segment_id: event.segmentId,
        text: event.text,
        start: event.start,
        end: event.end,
      };
    case 'final':
      return {
        type: 'transcript.final',
        segment_id: event.segmentId,
        start: event.start,
        end: event.end,
        text: event.text,
        ...(event.words && { words: event.words }),
        ...(event.confidence !== undefined && { confidence: event.confidence }),
        ...(event.error && { error: event.error }),
      };
  }
}
