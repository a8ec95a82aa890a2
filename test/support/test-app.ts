import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ModuleMetadata } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AsrProvider } from '@asr/asr';
import { type AppConfig, loadConfigOrThrow, type RawEnvironment } from '@asr/config';
import { LOG_DESTINATION } from '@asr/observability';
import { AppModule } from '../../apps/asr-api/src/app.module';
import { configureApp, createHttpAdapter } from '../../apps/asr-api/src/bootstrap';
import { type LogCapture, logStream, newLogCapture } from './log-capture';

export interface TestApp {
  app: NestFastifyApplication;
  config: AppConfig;
  /** http://127.0.0.1:<ephemeral port> */
  url: string;
  logs: LogCapture;
  /** Scratch directory holding this app's storage paths. */
  dir: string;
  close(): Promise<void>;
}

export interface TestAppOptions {
  env?: RawEnvironment;
  /** Extra modules (test-only controllers) composed beside the real app. */
  imports?: ModuleMetadata['imports'];
  /** Wait until the ASR engine has loaded (default), so readiness reflects only what the test changes. */
  waitForEngine?: boolean;
  /** Providers replaced by values (a scripted AsrProvider or VadBackendLoader), as `overrideProvider().useValue()`. */
  overrides?: { provide: unknown; useValue: unknown }[];
}

async function waitForEngine(provider: AsrProvider, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (provider.health().status === 'down' && provider.health().message === 'loading the speech models') {
    if (Date.now() > deadline) throw new Error('the ASR engine did not load in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Builds a test configuration from defaults, with storage in a fresh temp directory and the given overrides. */
export function testConfig(env: RawEnvironment = {}, dir = mkdtempSync(join(tmpdir(), 'asr-test-'))): AppConfig {
  return loadConfigOrThrow(
    {
      AUDIO_STORAGE_PATH: join(dir, 'audio'),
      TEMP_STORAGE_PATH: join(dir, 'tmp'),
      LOG_LEVEL: 'info',
      // One decoder (~90 MiB) per test app unless a test asks for more.
      LOCAL_ASR_CONCURRENCY: '1',
      ...env,
    },
    dir,
  );
}

/** The real app, listening on an ephemeral port on 127.0.0.1, its logs captured. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const dir = mkdtempSync(join(tmpdir(), 'asr-test-'));
  const config = testConfig(options.env, dir);
  const logs = newLogCapture();
  const builder = Test.createTestingModule({ imports: [AppModule.forRoot(config), ...(options.imports ?? [])] })
    .overrideProvider(LOG_DESTINATION)
    .useValue(logStream);
  for (const { provide, useValue } of options.overrides ?? []) builder.overrideProvider(provide).useValue(useValue);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), { bufferLogs: true });
  await configureApp(app);
  await app.listen(0, '127.0.0.1');
  if (options.waitForEngine ?? true) await waitForEngine(app.get(AsrProvider));
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
  return { app, config, url: `http://127.0.0.1:${address.port}`, logs, dir, close: () => app.close() };
}
