import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ClusterChannel, WORKER_READY } from '@asr/cluster';
import type { AppConfig } from '@asr/config';
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
  // Under API_WORKERS the primary counts this worker from now on; a server of its own has no one to tell.
  app.get(ClusterChannel).tell(WORKER_READY);
  return app;
}
