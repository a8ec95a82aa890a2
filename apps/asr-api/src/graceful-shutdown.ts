import { setTimeout as sleep } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from '@asr/config';
import { ShutdownState } from '@asr/observability';

export type ShutdownOutcome = 'clean' | 'forced';

/**
 * SIGTERM/SIGINT: readiness turns 503 at once; on SIGTERM the server keeps serving for SHUTDOWN_DRAIN_S so load
 * balancers stop routing here; then it stops accepting connections and in-flight requests get SHUTDOWN_GRACE_S
 * to finish before the remaining sockets are cut.
 */
export async function shutDown(app: NestFastifyApplication, signal: NodeJS.Signals): Promise<ShutdownOutcome> {
  const logger = new Logger('lifecycle');
  const config = app.get(AppConfig);
  app.get(ShutdownState).begin();
  logger.log(`${signal} received: readiness is now 503`);
  if (signal === 'SIGTERM' && config.api.shutdownDrainS > 0) {
    logger.log(`draining for ${config.api.shutdownDrainS}s before closing the listener`);
    await sleep(config.api.shutdownDrainS * 1000);
  }
  const graceMs = config.api.shutdownGraceS * 1000;
  const timer = sleep(graceMs, 'forced' as const, { ref: false });
  const outcome = await Promise.race([app.close().then(() => 'clean' as const), timer]);
  if (outcome === 'forced') {
    logger.warn(
      `in-flight work did not finish within SHUTDOWN_GRACE_S=${config.api.shutdownGraceS}s; closing connections`,
    );
    app.getHttpServer().closeAllConnections();
  } else {
    logger.log('shutdown complete');
  }
  return outcome;
}

/** Installs the handlers once; a second signal while shutting down exits at once. */
export function exitOnSignals(app: NestFastifyApplication): void {
  let shuttingDown = false;
  const handle = (signal: NodeJS.Signals): void => {
    if (shuttingDown) process.exit(1);
    shuttingDown = true;
    shutDown(app, signal).then(
      () => process.exit(0),
      (error: unknown) => {
        new Logger('lifecycle').error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}
