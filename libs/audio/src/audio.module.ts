import { Global, Module } from '@nestjs/common';
import { AudioDecoder } from './audio-decoder';
import { TempFiles } from './temp-files';

@Global()
@Module({ providers: [TempFiles, AudioDecoder], exports: [TempFiles, AudioDecoder] })
export class AudioModule {}
