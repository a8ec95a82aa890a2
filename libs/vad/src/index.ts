export { EnergyVadBackend } from './energy-backend';
export {
  Segmenter,
  segmenterSettings,
  type SegmenterEvent,
  type SegmenterSettings,
  type SegmenterSettingsMs,
  type SpeechSpan,
} from './segmenter';
export { SILERO_MODEL, SileroVadBackend } from './silero-backend';
export { findTenVadInstall, TenVadBackend } from './ten-backend';
export { type SpeechSegment, speechSegments } from './speech-segments';
export { StreamVad, type StreamVadEvent, UtteranceAudio } from './stream-vad';
export { FRAME_SAMPLES, type VadBackend, type VadFrame, type VadStreamState } from './vad-backend';
export { VadBatcher } from './vad-batcher';
export { DefaultVadBackendLoader, VadBackendLoader } from './vad-backend-loader';
export { VadModule } from './vad.module';
export { VadService, type VadStatus } from './vad.service';
