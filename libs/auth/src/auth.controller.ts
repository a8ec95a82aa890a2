import { Controller, Get, Header, HttpCode, Post, Req } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { ApiError } from '@asr/observability';
import type { Caller } from './api-keys';
import { Authenticator } from './authenticator';
import { RequestCaller } from './request-caller';
import { StreamTokens } from './stream-tokens';
import { WebhookSecrets } from './webhook-secrets';

export class StreamTokenDto {
  @ApiProperty({ description: 'Pass as `?token=` when opening /api/v1/stream.' }) token!: string;
  @ApiProperty({ description: 'When the token stops opening streams (ISO 8601).' }) expires_at!: string;
  @ApiProperty({ description: 'Seconds it is valid for (STREAM_TOKEN_TTL_S, at most 300).' }) expires_in!: number;
}

export class WebhookSecretDto {
  @ApiProperty({
    description:
      "This key's webhook signing secret, as Standard Webhooks libraries take it (`new Webhook(secret).verify(body, headers)`).",
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret!: string;

  @ApiProperty({ description: 'The key name it belongs to (every job this key submits is signed with it).' })
  tenant!: string;
}

@ApiTags('auth')
@ApiBearerAuth()
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly tokens: StreamTokens,
    private readonly webhookSecrets: WebhookSecrets,
  ) {}

  @Get('webhook-secret')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary:
      "The secret that signs this key's job webhooks (derived for this key alone): verify each webhook's signature with it.",
  })
  @ApiOkResponse({ type: WebhookSecretDto })
  @ApiUnauthorizedResponse({ description: 'No API key, or not a valid one.' })
  @ApiNotFoundResponse({ description: 'SECRET_KEY is not set: the server sends no webhooks.' })
  webhookSecret(@RequestCaller() caller: Caller): WebhookSecretDto {
    if (!this.webhookSecrets.available)
      throw new ApiError(
        404,
        'webhooks_unavailable',
        'this server has no SECRET_KEY, so it signs (and sends) no webhooks',
      );
    return { secret: this.webhookSecrets.shownFor(caller.tenant), tenant: caller.tenant };
  }

  @Post('stream-token')
  @HttpCode(200)
  @ApiOperation({
    summary:
      'A short-lived token that opens one or more live streams (`?token=`), so browsers never put the API key in a URL.',
  })
  @ApiOkResponse({ type: StreamTokenDto })
  @ApiUnauthorizedResponse({ description: 'No API key, or not a valid one.' })
  @ApiNotFoundResponse({ description: 'The server has no API keys: streams need no token.' })
  streamToken(@Req() request: FastifyRequest): StreamTokenDto {
    // The request hook has admitted it: with keys configured, its key is valid.
    const name = this.authenticator.enabled ? this.authenticator.keyName(request.headers) : undefined;
    if (name === undefined)
      throw new ApiError(404, 'auth_disabled', 'this server has no API keys: open the stream without a token');
    const minted = this.tokens.mint(name);
    return { token: minted.token, expires_at: minted.expiresAt.toISOString(), expires_in: minted.expiresInS };
  }
}
