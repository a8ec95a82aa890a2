import { AsrProvider } from '@asr/asr';
import type { RawEnvironment } from '@asr/config';
import { VadBackendLoader } from '@asr/vad';
import type { ScriptedProvider } from './scripted-provider';
import { ScriptedVadBackend } from './scripted-vad';
import type { StreamMessage } from './stream-client';
import { startTestApp, type TestApp } from './test-app';

export interface ScriptedStreamApp extends TestApp {
  vad: ScriptedVadBackend;
}

/**
 * The real app with `provider` answering every transcription and a ScriptedVadBackend deciding speech from the
 * audio itself: streaming tests that run in milliseconds, with no engine, model or fake server to start.
 */
export async function startScriptedStreamApp(
  provider: ScriptedProvider,
  env: RawEnvironment = {},
): Promise<ScriptedStreamApp> {
  const vad = new ScriptedVadBackend();
  const app = await startTestApp({
    env: { ASR_PROVIDER: 'openai-compatible', ASR_BASE_URL: 'http://127.0.0.1:9/v1', VAD_BACKEND: 'energy', ...env },
    overrides: [
      { provide: AsrProvider, useValue: provider },
      { provide: VadBackendLoader, useValue: { load: () => Promise.resolve(vad) } },
    ],
    waitForEngine: false,
  });
  return { ...app, vad };
}

/** 16 kHz float samples as the bytes of a `encoding=pcm_f32le` stream. */
export function f32le(samples: Float32Array): Buffer {
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

/** Resolves with the first message (already received or still to come) that `matches`; rejects after `timeoutMs`. */
export async function messageMatching(
  messages: StreamMessage[],
  matches: (message: StreamMessage) => boolean,
  timeoutMs = 3000,
): Promise<StreamMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = messages.find(matches);
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no matching message among ${JSON.stringify(messages)}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
