import { Module } from '@nestjs/common';
import { ApiKeys } from './api-keys';
import { AuthController } from './auth.controller';
import { Authenticator } from './authenticator';
import { RateLimiter } from './rate-limiter';
import { StreamTokens } from './stream-tokens';

/** API keys, stream tokens and per-caller rate limits (docs/security.md). */
@Module({
  controllers: [AuthController],
  providers: [ApiKeys, StreamTokens, RateLimiter, Authenticator],
  exports: [Authenticator, StreamTokens],
})
export class AuthModule {}
