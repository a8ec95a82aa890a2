export { allWords, timestamp, toSrt, toText, toVerboseJson, toVtt } from './formats';
export { abortOnDisconnect } from './client-disconnect';
export { TranscriptionModule } from './transcription.module';
export {
  type FinishedChunk,
  type AudioSource,
  type TranscriptionRequest,
  type TranscriptionResult,
  TranscriptionService,
} from './transcription.service';
export {
  NativeTranscriptionFields,
  NativeTranscriptionResponse,
  SegmentDto,
  WordDto,
} from './dto/native-transcription.dto';
export { normaliseLanguage, validateFields } from './request-fields';
export { readUpload, type SpooledUpload } from './upload';
