export { allWords, timestamp, toSrt, toText, toVerboseJson, toVtt } from './formats';
export { TranscriptionModule } from './transcription.module';
export {
  type AudioSource,
  type TranscriptionRequest,
  type TranscriptionResult,
  TranscriptionService,
} from './transcription.service';
