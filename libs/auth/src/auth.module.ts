import { Module } from '@nestjs/common';
import { ApiKeys } from './api-keys';
import { AuthController } from './auth.controller';
import { Authenticator } from './authenticator';
import { RateLimiter } from './rate-limiter';
import { StreamTokens } from './stream-tokens';
import { WebhookSecrets } from './webhook-secrets';

/** API keys, stream tokens and per-caller rate limits (docs/security.md). */
@Module({
  controllers: [AuthController],
  providers: [ApiKeys, StreamTokens, RateLimiter, Authenticator, WebhookSecrets],
  exports: [Authenticator, StreamTokens, WebhookSecrets],
})
export class AuthModule {}
