import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import pino, { type DestinationStream, type StreamEntry } from 'pino';
import pretty from 'pino-pretty';
import type { AppConfig } from '@asr/config';
import { REDACTED_LOG_PATHS, redactUrl } from './log-redaction';

export const LOG_FILE_NAME = 'asr-api-service.log';

/** Probes and scrapes arrive every few seconds; logging each would drown the real traffic. */
const UNLOGGED_PATHS = /^\/(health(\/|$|\?)|metrics(\/|$|\?))/;

/** middie (Fastify's middleware layer) copies Fastify's request id and the unrewritten URL onto the raw request. */
interface RequestWithOriginalUrl extends IncomingMessage {
  originalUrl?: string;
}

function requestSerializer(req: RequestWithOriginalUrl): Record<string, unknown> {
  // Headers are left out on purpose: Authorization and API keys must never reach a log line.
  return {
    id: req.id,
    method: req.method,
    url: redactUrl(req.originalUrl ?? req.url ?? ''),
    userAgent: req.headers['user-agent'],
    remoteAddress: req.socket?.remoteAddress,
  };
}

function responseSerializer(res: ServerResponse): Record<string, unknown> {
  return { statusCode: res.statusCode };
}

/** stdout (json or pretty), plus the log file when LOG_STORAGE_PATH is set (opened for append: logrotate's copytruncate works). */
export function logDestination(config: AppConfig): DestinationStream {
  const level = config.logging.level;
  const stdout: DestinationStream =
    config.logging.format === 'pretty'
      ? pretty({ colorize: process.stdout.isTTY, sync: true, translateTime: 'SYS:standard' })
      : pino.destination({ fd: 1, sync: true });
  const streams: StreamEntry[] = [{ level, stream: stdout }];
  if (config.logging.storagePath) {
    const file = pino.destination({
      dest: join(config.logging.storagePath, LOG_FILE_NAME),
      append: true,
      mkdir: true,
      sync: true,
    });
    streams.push({ level, stream: file });
  }
  return pino.multistream(streams);
}

export function createRootLogger(
  config: AppConfig,
  destination: DestinationStream = logDestination(config),
): pino.Logger {
  return pino(
    {
      level: config.logging.level,
      // pid: under API_WORKERS several processes write to the same output.
      base: { service: 'asr-api-service', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_LOG_PATHS, censor: '[REDACTED]' },
    },
    destination,
  );
}

/** nestjs-pino parameters. `component` replaces Nest's `context`, so error lines name ASR, VAD or websocket. */
export function loggerParams(config: AppConfig, destination?: DestinationStream): Params {
  return {
    renameContext: 'component',
    // Nest 12 on Fastify matches nothing with nestjs-pino's default pattern.
    forRoutes: [{ path: '{*splat}', method: RequestMethod.ALL }],
    pinoHttp: {
      logger: createRootLogger(config, destination),
      // Fastify already chose the id (see requestIdFor); reuse it so logs and the response header agree.
      genReqId: (req) => req.id,
      customAttributeKeys: { reqId: 'requestId' },
      autoLogging: { ignore: (req: RequestWithOriginalUrl) => UNLOGGED_PATHS.test(req.originalUrl ?? req.url ?? '') },
      serializers: { req: requestSerializer, res: responseSerializer },
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    },
  };
}
