import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@asr/config';
import { inClusterWorker, tellPrimary, WORKER_READY } from '@asr/observability';
import { AppModule } from './app.module';
import { configureApp, createHttpAdapter } from './bootstrap';
import { exitOnSignals } from './graceful-shutdown';

/** Builds the app from a validated config, listens, and exits cleanly on SIGTERM/SIGINT. */
export async function startServer(config: AppConfig): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createHttpAdapter(config), {
    bufferLogs: true,
  });
  await configureApp(app);
  exitOnSignals(app);
  await app.listen(config.api.port, config.api.host);
  if (inClusterWorker()) tellPrimary(WORKER_READY);
  return app;
}
