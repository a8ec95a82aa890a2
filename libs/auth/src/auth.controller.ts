import { Controller, HttpCode, Post, Req } from '@nestjs/common';
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
import { Authenticator } from './authenticator';
import { StreamTokens } from './stream-tokens';

export class StreamTokenDto {
  @ApiProperty({ description: 'Pass as `?token=` when opening /api/v1/stream.' }) token!: string;
  @ApiProperty({ description: 'When the token stops opening streams (ISO 8601).' }) expires_at!: string;
  @ApiProperty({ description: 'Seconds it is valid for (STREAM_TOKEN_TTL_S, at most 300).' }) expires_in!: number;
}

@ApiTags('auth')
@ApiBearerAuth()
@Controller('api/v1/auth')
export class AuthController {
  constructor(
    private readonly authenticator: Authenticator,
    private readonly tokens: StreamTokens,
  ) {}

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
