import { Module } from '@nestjs/common';
import { AudioDecoder } from './audio-decoder';
import { DecodeSlots } from './decode-slots';
import { TempFiles } from './temp-files';

/** Decoding uploads and files: the ffmpeg decoder, its concurrency slots and the temp files it writes. */
@Module({ providers: [TempFiles, AudioDecoder, DecodeSlots], exports: [TempFiles, AudioDecoder, DecodeSlots] })
export class AudioModule {}
