import { Module } from '@nestjs/common';
import { AsrProviderModule } from '@asr/asr';
import { AudioModule } from '@asr/audio';
import { VadModule } from '@asr/vad';
import { NativeTranscriptionController } from './native-transcription.controller';
import { OpenAiTranscriptionController } from './openai-transcription.controller';
import { TranscriptionErrorFilter } from './transcription-error.filter';
import { TranscriptionService } from './transcription.service';
import { VadController } from './vad.controller';

/** Uploads transcribed (native and OpenAI-compatible routes) and the VAD route, over the shared pipeline. */
@Module({
  imports: [AudioModule, VadModule, AsrProviderModule],
  controllers: [NativeTranscriptionController, OpenAiTranscriptionController, VadController],
  providers: [TranscriptionService, TranscriptionErrorFilter],
  exports: [TranscriptionService],
})
export class TranscriptionModule {}
