import { Module } from '@nestjs/common';
import { ApiKeys } from './api-keys';
import { AuthController } from './auth.controller';
import { Authenticator } from './authenticator';
import { HostPolicy } from './host-policy';
import { RateLimiter } from './rate-limiter';
import { StreamTokens } from './stream-tokens';
import { WebhookSecrets } from './webhook-secrets';

/** API keys, stream tokens, per-caller rate limits and the Host/Origin policy (docs/security.md). */
@Module({
  controllers: [AuthController],
  providers: [ApiKeys, StreamTokens, RateLimiter, Authenticator, HostPolicy, WebhookSecrets],
  exports: [Authenticator, HostPolicy, StreamTokens, WebhookSecrets],
})
export class AuthModule {}
