/** Every reason an upload can fail to become audio; a runtime list so the edge's error table can prove it covers each. */
export const AUDIO_ERROR_CODES = [
  'empty_audio',
  'invalid_audio',
  'unsupported_format',
  'audio_too_long',
  'decode_ratio_exceeded',
  'upload_too_large',
  'decode_timeout',
  'decoder_unavailable',
] as const;

export type AudioErrorCode = (typeof AUDIO_ERROR_CODES)[number];

/** Why an upload could not become audio. What each edge answers with it is the error table's call (observability). */
export class AudioError extends Error {
  constructor(
    readonly code: AudioErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AudioError';
  }
}
