import { Body, Controller, Header, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { ApiError } from '@asr/observability';
import type { Caller } from './api-keys';
import { ClientSecretDto, ClientSecretRequestDto } from './client-secret.dto';
import { RequestCaller } from './request-caller';
import { StreamTokens } from './stream-tokens';

/**
 * Bytes of JSON a key may carry as its session: it travels in a subprotocol header, which proxies cap at a few KiB
 * (nginx: 8 KiB a line). A transcription session's configuration is a few hundred.
 */
export const MAX_SESSION_PRESET_BYTES = 2048;

/** OpenAI's route for ephemeral keys, so a browser's Realtime client never holds the API key. */
@ApiTags('openai-compatible')
@ApiBearerAuth()
@Controller('v1/realtime')
export class ClientSecretsController {
  constructor(private readonly tokens: StreamTokens) {}

  @Post('client_secrets')
  @HttpCode(200)
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary:
      'An ephemeral key (`ek_…`) that opens /v1/realtime transcription sessions for this API key until it expires (at most 300 s), with the session configuration given here.',
  })
  @ApiOkResponse({ type: ClientSecretDto })
  @ApiBadRequestResponse({
    description: `Invalid fields: a session type other than "transcription", or a session over ${MAX_SESSION_PRESET_BYTES} bytes of JSON.`,
  })
  @ApiUnauthorizedResponse({ description: 'No API key, or not a valid one.' })
  @ApiForbiddenResponse({ description: 'A stream token or an ephemeral key instead of the API key.' })
  create(@RequestCaller() caller: Caller, @Body() body: ClientSecretRequestDto): ClientSecretDto {
    const session = body.session ? { ...body.session } : undefined;
    if (session && Buffer.byteLength(JSON.stringify(session)) > MAX_SESSION_PRESET_BYTES)
      throw new ApiError(
        400,
        'session_too_large',
        `the session configuration is over ${MAX_SESSION_PRESET_BYTES} bytes of JSON; send the rest with session.update once connected`,
      );
    // On a server without keys the caller is the open tenant: the key opens nothing that is not open already, but
    // an unchanged browser app still gets the `ek_` its SDK insists on.
    const minted = this.tokens.mintEphemeral(caller.tenant, {
      ...(body.expires_after?.seconds !== undefined && { ttlS: body.expires_after.seconds }),
      ...(session && { session }),
    });
    const expiresAt = Math.floor(minted.expiresAt.getTime() / 1000);
    return {
      value: minted.key,
      expires_at: expiresAt,
      session: {
        id: `sess_${minted.id.replace(/-/g, '')}`,
        object: 'realtime.transcription_session',
        type: 'transcription',
        expires_at: expiresAt,
        ...(session?.audio && { audio: session.audio }),
        ...(session?.include && { include: session.include }),
      },
    };
  }
}
