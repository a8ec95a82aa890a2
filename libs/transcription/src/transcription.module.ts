import { Module } from '@nestjs/common';
import { NativeTranscriptionController } from './native-transcription.controller';
import { OpenAiTranscriptionController } from './openai-transcription.controller';
import { TranscriptionErrorFilter } from './transcription-error.filter';
import { TranscriptionService } from './transcription.service';
import { VadController } from './vad.controller';

@Module({
  controllers: [NativeTranscriptionController, OpenAiTranscriptionController, VadController],
  providers: [TranscriptionService, TranscriptionErrorFilter],
  exports: [TranscriptionService],
})
export class TranscriptionModule {}
