import { Global, Module } from '@nestjs/common';
import { TempFiles } from './temp-files';

@Global()
@Module({ providers: [TempFiles], exports: [TempFiles] })
export class AudioModule {}
