/** Why an upload could not become audio. `status` is the HTTP status the edge answers with. */
export type AudioErrorCode =
  | 'empty_audio'
  | 'invalid_audio'
  | 'unsupported_format'
  | 'audio_too_long'
  | 'decode_ratio_exceeded'
  | 'upload_too_large'
  | 'decode_timeout'
  | 'decoder_unavailable';

const STATUS: Record<AudioErrorCode, number> = {
  empty_audio: 400,
  invalid_audio: 400,
  unsupported_format: 415,
  audio_too_long: 413,
  decode_ratio_exceeded: 413,
  upload_too_large: 413,
  decode_timeout: 422,
  decoder_unavailable: 503,
};

export class AudioError extends Error {
  readonly status: number;

  constructor(
    readonly code: AudioErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AudioError';
    this.status = STATUS[code];
  }
}
