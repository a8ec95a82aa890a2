import { readFileSync, writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { loadConfigOrThrow } from '@asr/config';
import { AppModule } from '../app.module';
import { createHttpAdapter } from '../bootstrap';
import { buildOpenApiDocument, serializeOpenApi } from '../openapi';
import { PACKAGE_VERSION } from '../package-info';

/** The OpenAPI document as the running service would serve it, sorted; built from defaults, not this machine's .env. */
export async function renderOpenApi(): Promise<string> {
  const config = loadConfigOrThrow({ LOG_LEVEL: 'error' });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createHttpAdapter(config), {
    logger: false,
  });
  try {
    return serializeOpenApi(buildOpenApiDocument(app, PACKAGE_VERSION));
  } finally {
    await app.close();
  }
}

/** `asr-api openapi --write FILE` regenerates the committed document; `--check FILE` exits 1 when it is stale. */
export async function openApiCommand(options: { write?: string; check?: string }): Promise<number> {
  const document = await renderOpenApi();
  if (options.write) {
    writeFileSync(options.write, document);
    console.log(`wrote ${options.write}`);
    return 0;
  }
  if (options.check) {
    const current = readFileSync(options.check, 'utf8');
    if (current === document) return 0;
    console.error(`${options.check} is stale: run \`npm run openapi:write\` and commit it`);
    return 1;
  }
  process.stdout.write(document);
  return 0;
}
