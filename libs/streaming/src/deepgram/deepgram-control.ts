import { describeClientValue, parseBoundedJson } from '@asr/observability';
import { CONTROL_MESSAGE_BOUNDS } from '../protocol';

/** Deepgram's live control messages (`ListenV1KeepAlive`, `ListenV1Finalize`, `ListenV1CloseStream` in the SDK). */
export const DEEPGRAM_CONTROL_TYPES = ['KeepAlive', 'Finalize', 'CloseStream'] as const;
export type DeepgramControlType = (typeof DEEPGRAM_CONTROL_TYPES)[number];

export type DeepgramControlResult = { ok: true; type: DeepgramControlType } | { ok: false; reason: string };

const EXPECTED = `{"type":"KeepAlive"}, {"type":"Finalize"} or {"type":"CloseStream"}`;

/**
 * A text frame to a control message, or why it is not one. Bounded like every control message here (nothing over
 * 64 KiB or nested deeper than 32 levels is parsed); other fields beside `type` are ignored, as Deepgram ignores them.
 */
export function parseDeepgramControl(text: string): DeepgramControlResult {
  const parsed = parseBoundedJson(text, CONTROL_MESSAGE_BOUNDS);
  if (!parsed.ok) {
    if (parsed.code === 'invalid_json')
      return {
        ok: false,
        reason: `text frames must be JSON control messages (${EXPECTED}); audio goes in binary frames`,
      };
    return { ok: false, reason: `${parsed.reason}: control messages are ${EXPECTED}` };
  }
  const value = parsed.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, reason: `a control message is a JSON object: ${EXPECTED}` };
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !(DEEPGRAM_CONTROL_TYPES as readonly string[]).includes(type))
    return { ok: false, reason: `unknown control message type ${describeClientValue(type)}; expected ${EXPECTED}` };
  return { ok: true, type: type as DeepgramControlType };
}
