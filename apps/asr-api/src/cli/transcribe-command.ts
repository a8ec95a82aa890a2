import { existsSync } from 'node:fs';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AsrProvider } from '@asr/asr';
import type { AppConfig } from '@asr/config';
import { allWords, toSrt, toText, toVerboseJson, toVtt, TranscriptionService } from '@asr/transcription';
import { pipelineModules } from '../app.module';
import { configOrExit, loadCliConfig } from './cli-config';

export const CLI_FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const;
export type CliFormat = (typeof CLI_FORMATS)[number];

export interface TranscribeCommandOptions {
  format: CliFormat;
  language?: string;
}

function engineModule(config: AppConfig): new () => unknown {
  @Module({ imports: pipelineModules(config) })
  class TranscribeCliModule {}
  return TranscribeCliModule;
}

/** `asr-api transcribe FILE`: the service's own pipeline in this process, no server; the transcript on stdout. */
export async function transcribeCommand(file: string, options: TranscribeCommandOptions): Promise<number> {
  if (!CLI_FORMATS.includes(options.format)) {
    console.error(`unknown format "${options.format}"; use one of ${CLI_FORMATS.join(', ')}`);
    return 2;
  }
  if (!existsSync(file)) {
    console.error(`no such file: ${file}`);
    return 2;
  }
  const { config } = configOrExit(loadCliConfig({ LOG_LEVEL: 'warn' }));
  // Nest's own messages go to stderr (errors and warnings only), keeping stdout for the transcript.
  const app = await NestFactory.createApplicationContext(engineModule(config), { logger: ['error', 'warn'] });
  try {
    await app.get(AsrProvider).whenReady();
    const wordTimestamps = options.format === 'verbose_json' || options.format === 'json';
    const result = await app.get(TranscriptionService).transcribe(
      { path: file },
      {
        language: options.language,
        wordTimestamps,
      },
    );
    const { transcript } = result;
    const output =
      options.format === 'json'
        ? `${JSON.stringify({ ...transcript, words: allWords(transcript), provider: result.provider, model: result.model, processing_ms: result.processingMs }, null, 2)}\n`
        : options.format === 'verbose_json'
          ? `${JSON.stringify(toVerboseJson(transcript, new Set(['word', 'segment'])), null, 2)}\n`
          : options.format === 'srt'
            ? toSrt(transcript)
            : options.format === 'vtt'
              ? toVtt(transcript)
              : toText(transcript);
    process.stdout.write(output);
    return 0;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    console.error(
      `transcription failed${typeof code === 'string' ? ` (${code})` : ''}: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  } finally {
    await app.close();
  }
}
