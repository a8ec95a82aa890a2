import { Global, Module } from '@nestjs/common';
import { AudioDecoder } from './audio-decoder';
import { DecodeSlots } from './decode-slots';
import { TempFiles } from './temp-files';

@Global()
@Module({ providers: [TempFiles, AudioDecoder, DecodeSlots], exports: [TempFiles, AudioDecoder, DecodeSlots] })
export class AudioModule {}
