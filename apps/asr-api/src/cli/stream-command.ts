import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { WebSocket } from 'ws';
import { AudioDecoder, AudioModule, float32ToInt16 } from '@asr/audio';
import { ConfigModule } from '@asr/config';
import { configOrExit, loadCliConfig } from './cli-config';
import { localServerUrl } from './server-url';

export interface StreamCommandOptions {
  url?: string;
  speed: string;
  language?: string;
  partials: boolean;
  json?: boolean;
}

interface ServerMessage {
  type: string;
  segment_id?: number;
  text?: string;
  start?: number;
  end?: number;
  message?: string;
  error?: { message: string };
  reason?: string;
}

/** 20 ms of 16 kHz 16-bit mono: the frame size a microphone client would send. */
const FRAME_BYTES = 640;

function show(message: ServerMessage, json: boolean | undefined): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(message)}\n`);
    return;
  }
  const span = `[${message.start?.toFixed(2)} → ${message.end?.toFixed(2)}]`;
  if (message.type === 'transcript.partial') process.stderr.write(`  … ${message.text}\n`);
  else if (message.type === 'transcript.final')
    process.stdout.write(`${span} ${message.text}${message.error ? ` (failed: ${message.error.message})` : ''}\n`);
  else if (message.type === 'error') process.stderr.write(`error: ${message.message}\n`);
}

/**
 * `asr-api stream FILE`: plays a recording to a running server's streaming API at `--speed` × real time, as a
 * microphone would, and prints its finals (partials go to stderr). Exit 0 when the server closed normally.
 */
export async function streamCommand(file: string, options: StreamCommandOptions): Promise<number> {
  const speed = Number(options.speed);
  if (!existsSync(file)) {
    console.error(`no such file: ${file}`);
    return 2;
  }
  if (!(speed > 0)) {
    console.error(`--speed must be a positive number (got ${options.speed})`);
    return 2;
  }
  const { config } = configOrExit(loadCliConfig({ LOG_LEVEL: 'warn' }));
  const query = new URLSearchParams({ interim_results: String(options.partials) });
  if (options.language) query.set('language', options.language);
  const url = `${options.url ?? localServerUrl(config, 'ws')}/api/v1/stream?${query.toString()}`;

  @Module({ imports: [ConfigModule.forRoot(config), AudioModule] })
  class StreamCliModule {}
  const app = await NestFactory.createApplicationContext(StreamCliModule, { logger: ['error', 'warn'] });
  const socket = new WebSocket(url);
  try {
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.on('message', (data: Buffer) => show(JSON.parse(data.toString('utf8')) as ServerMessage, options.json));
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) =>
        reject(new Error(`the server refused the stream: HTTP ${response.statusCode}`)),
      );
    });
    const started = performance.now();
    let sentBytes = 0;
    for await (const block of app.get(AudioDecoder).decodeFile(file)) {
      const pcm = Buffer.from(float32ToInt16(block).buffer);
      for (let at = 0; at < pcm.length; at += FRAME_BYTES) {
        socket.send(pcm.subarray(at, at + FRAME_BYTES));
        sentBytes += Math.min(FRAME_BYTES, pcm.length - at);
        const due = (sentBytes / 32_000 / speed) * 1000 - (performance.now() - started);
        if (due > 0) await sleep(due);
      }
    }
    socket.send(JSON.stringify({ type: 'close' }));
    const code = await closed;
    return code === 1000 ? 0 : 1;
  } catch (error) {
    console.error(`streaming failed: ${error instanceof Error ? error.message : String(error)}`);
    socket.terminate();
    return 1;
  } finally {
    await app.close();
  }
}
