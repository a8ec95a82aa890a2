export { AudioDecoder, type DecodeOptions } from './audio-decoder';
export { AUDIO_ERROR_CODES, AudioError, type AudioErrorCode } from './audio-error';
export { DecodeSlots } from './decode-slots';
export { AudioModule } from './audio.module';
export { concatSamples, encodeWav, float32ToInt16, int16ToFloat32, roundSeconds, TARGET_SAMPLE_RATE } from './pcm';
export { Resampler } from './resampler';
export { GrowableSamples } from './growable-samples';
export {
  decodeAlaw,
  decodeG711,
  decodeMulaw,
  G711_ENCODINGS,
  G711_SAMPLE_RATE,
  type G711Encoding,
  g711Table,
  isG711,
} from './g711';
export { bytesPerFrame, PCM_ENCODINGS, type PcmEncoding, type PcmFormat, PcmStreamDecoder } from './pcm-stream-decoder';
export { RingBuffer } from './ring-buffer';
export { SampleBufferPool } from './sample-buffer-pool';
export { TempFiles } from './temp-files';
export { isWav, WavStreamDecoder, type WavFormat } from './wav-stream-decoder';
export { readFileBlocks } from './file-blocks';
export { writeWavFile } from './wav-file-writer';
