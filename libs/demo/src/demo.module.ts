import { Module } from '@nestjs/common';
import { DemoAssets } from './demo-assets';
import { DemoController } from './demo.controller';

/** The browser demo at `/` (ENABLE_DEMO): a reference client of the streaming, transcription and jobs APIs. */
@Module({ controllers: [DemoController], providers: [DemoAssets] })
export class DemoModule {}
