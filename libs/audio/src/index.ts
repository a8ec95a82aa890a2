export { AudioDecoder, type DecodeOptions } from './audio-decoder';
export { AudioError, type AudioErrorCode } from './audio-error';
export { AudioModule } from './audio.module';
export { encodeWav, float32ToInt16, int16ToFloat32, TARGET_SAMPLE_RATE } from './pcm';
export { Resampler } from './resampler';
export { RingBuffer } from './ring-buffer';
export { TempFiles } from './temp-files';
export { isWav, WavStreamDecoder, type WavFormat } from './wav-stream-decoder';
export { readFileBlocks } from './file-blocks';
