export { type AbortKind, AbortReason, abortKindOf } from './abort-reason';
export { ASR_ERROR_CODES, AsrError, type AsrErrorCode } from './asr-error';
export { AsrMetrics } from './asr-metrics';
export {
  type AsrCapabilities,
  AsrProvider,
  type KnownSpeakers,
  type LiveUtterance,
  type TranscribeOptions,
} from './asr-provider';
export { createAsrProvider } from './asr-provider.factory';
export { AsrProviderModule } from './asr.module';
export { loadPocketSphinx, type PocketSphinxLibrary } from './local/pocketsphinx-binding';
export { LOCAL_MODEL, LocalPocketSphinxProvider } from './local/local-provider';
export { toLanguageCode, toLanguageName } from './remote/language-codes';
export { isDiarizeModel } from './remote/remote-request';
export { checkProviderConnection, type ConnectionReport, type ConnectionVerdict } from './provider-connection';
export { remoteProviderSettings } from './remote-provider-settings';
export type {
  ChunkTranscript,
  TokenLogprob,
  TokenUsage,
  Transcript,
  TranscriptSegment,
  TranscriptWord,
} from './transcript';
