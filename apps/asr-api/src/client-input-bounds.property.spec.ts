import { Body, Controller, Get, HttpCode, Module, Post, Query, ValidationPipe } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, MaxLength } from 'class-validator';
import fc from 'fast-check';
import { registerClientInputBounds } from './client-input-bounds';

/** Hostile bodies are up to 1 MB each: a few hundred keep the unit run to seconds. */
const HOSTILE_RUNS = 200;
const RUNS = 2000;

class UrlBody {
  @IsString() @MaxLength(2048) url!: string;
  @IsOptional() @IsString() language?: string;
}

class ListQuery {
  @IsOptional() @Type(() => Number) @IsInt() limit?: number;
  @IsOptional() @IsString() status?: string;
}

/** A JSON route and a query route validated as the app validates them (its global ValidationPipe). */
@Controller()
class ProbeController {
  @Post('json')
  @HttpCode(200)
  json(@Body() body: UrlBody): { url: string } {
    return { url: body.url };
  }

  @Get('list')
  list(@Query() query: ListQuery): { limit: number | null } {
    return { limit: query.limit ?? null };
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

/** Nesting up to 100,000 levels of arrays or objects, at the top or under a field, padded up to 1 MB. */
const hostileBody = fc
  .record({
    depth: fc.integer({ min: 33, max: 100_000 }),
    kind: fc.constantFrom('arrays', 'objects', 'under-url'),
    padding: fc.integer({ min: 0, max: 900_000 }),
  })
  .map(({ depth, kind, padding }) => {
    const arrays = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const body = {
      arrays,
      objects: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`,
      'under-url': `{"url":${arrays}}`,
    }[kind];
    return `${body}${' '.repeat(padding)}`.slice(0, 1_000_000);
  });

describe('JSON bodies and query strings through the real Fastify parsers (property-based)', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    const moduleRef = await Test.createTestingModule({ imports: [ProbeModule] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
    app.useGlobalPipes(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }));
    registerClientInputBounds(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());

  /** In-process requests (Fastify's inject): no socket at all. */
  const inject = (options: { method: 'GET' | 'POST'; url: string; payload?: string }) =>
    app
      .getHttpAdapter()
      .getInstance()
      .inject({ ...options, headers: { 'content-type': 'application/json' } });

  it('answers every hostile body (100,000 levels, up to 1 MB) with 400 json_too_deep, quickly', async () => {
    await fc.assert(
      fc.asyncProperty(hostileBody, async (payload) => {
        const started = performance.now();
        const response = await inject({ method: 'POST', url: '/json', payload });
        expect(performance.now() - started).toBeLessThan(500);
        expect(response.statusCode).toBe(400);
        expect(response.json<{ message: string }>().message).toMatch(/nested more than 32 levels/);
      }),
      { numRuns: HOSTILE_RUNS },
    );
  });

  it('answers any small body with 200 or a 4xx, never a 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json({ maxDepth: 40 }),
          fc.string(),
          fc.record({ url: fc.jsonValue({ maxDepth: 40 }) }).map((v) => JSON.stringify(v)),
        ),
        async (payload) => {
          const response = await inject({ method: 'POST', url: '/json', payload });
          expect([200, 400]).toContain(response.statusCode);
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('still parses valid bodies, and refuses __proto__ as Fastify did', async () => {
    const ok = await inject({ method: 'POST', url: '/json', payload: JSON.stringify({ url: 'https://a.example/x' }) });
    expect(ok.json()).toEqual({ url: 'https://a.example/x' });
    const poisoned = await inject({ method: 'POST', url: '/json', payload: '{"url":"u","__proto__":{"x":1}}' });
    expect(poisoned.statusCode).toBe(400);
  });

  it('refuses query keys that would replace a DTO prototype or constructor', async () => {
    for (const query of ['__proto__=a&__proto__=b', '__proto__=a', 'constructor=x&limit=1', 'prototype=1']) {
      const response = await inject({ method: 'GET', url: `/list?${query}` });
      expect({ query, status: response.statusCode }).toEqual({ query, status: 400 });
    }
    expect((await inject({ method: 'GET', url: '/list?limit=3' })).json()).toEqual({ limit: 3 });
  });

  it('answers any query string (brackets, repeats, up to 8 KiB) with 200 or 400, never a 5xx', async () => {
    const hostileQuery = fc
      .tuple(
        fc.constantFrom('limit', 'status', 'a', '__proto__', 'constructor', 'limit[]', 'a[b]'),
        fc.integer({ min: 0, max: 2000 }),
        fc.constantFrom('[b]', '[', '[]', '&limit=1', '&__proto__=x', '%5B'),
        fc.string({ maxLength: 20 }),
      )
      .map(([key, repeats, piece, value]) =>
        `${key}${piece.repeat(repeats)}=${encodeURIComponent(value)}`.slice(0, 8192),
      );
    await fc.assert(
      fc.asyncProperty(hostileQuery, async (query) => {
        const response = await inject({ method: 'GET', url: `/list?${query}` });
        expect([200, 400]).toContain(response.statusCode);
      }),
      { numRuns: RUNS },
    );
  });
});
