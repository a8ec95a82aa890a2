import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '@asr/config';
import { ApiError } from '@asr/observability';
import { DemoAssets } from './demo-assets';
import { demoSecurityHeaders } from './demo-headers';

/** The browser demo: the page at `/` and its files under `/demo/`. Not part of the API, so not in OpenAPI. */
@ApiExcludeController()
@Controller()
export class DemoController {
  constructor(
    private readonly config: AppConfig,
    private readonly assets: DemoAssets,
  ) {}

  @Get()
  page(@Req() request: FastifyRequest, @Res() reply: FastifyReply): FastifyReply {
    return this.send('index.html', request, reply);
  }

  @Get('demo/:name')
  asset(@Param('name') name: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): FastifyReply {
    return this.send(name, request, reply);
  }

  private send(name: string, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    if (!this.config.api.demoEnabled)
      throw new ApiError(404, 'not_found', 'the browser demo is switched off on this server (ENABLE_DEMO=false)');
    const asset = this.assets.get(name);
    if (!asset) throw new ApiError(404, 'not_found', `the demo has no file named ${JSON.stringify(name)}`);
    void reply.headers(demoSecurityHeaders(request.headers.host));
    // Revalidated on every load: a new version of the service must never run against a cached old page.
    void reply.header('cache-control', 'no-cache').header('etag', asset.etag);
    if (request.headers['if-none-match'] === asset.etag) return reply.status(304).send();
    return reply.status(200).type(asset.contentType).send(asset.body);
  }
}
