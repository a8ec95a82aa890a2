import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export const OPENAPI_FILE = 'openapi.json';

export function buildOpenApiDocument(app: INestApplication, version: string): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('asr-api-service')
    .setDescription(
      'Self-hosted speech recognition: transcribe uploads over REST, run long recordings as jobs, stream live audio over WebSocket.',
    )
    .setVersion(version)
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Keys sorted at every level, so the committed openapi.json diffs cleanly and a stale copy is easy to detect. */
export function sortKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeysDeep);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeysDeep((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

export function serializeOpenApi(document: OpenAPIObject): string {
  return JSON.stringify(sortKeysDeep(document), null, 2) + '\n';
}
