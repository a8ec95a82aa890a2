import { Module } from '@nestjs/common';
import { ApiKeys } from './api-keys';
import { AuthController } from './auth.controller';
import { Authenticator } from './authenticator';
import { ClientSecretsController } from './client-secrets.controller';
import { HostPolicy } from './host-policy';
import { RateLimiter } from './rate-limiter';
import { StreamTokens } from './stream-tokens';
import { WebhookSecrets } from './webhook-secrets';

/** API keys, stream tokens and ephemeral keys, per-caller rate limits and the Host/Origin policy (docs/security.md). */
@Module({
  controllers: [AuthController, ClientSecretsController],
  providers: [ApiKeys, StreamTokens, RateLimiter, Authenticator, HostPolicy, WebhookSecrets],
  exports: [Authenticator, HostPolicy, StreamTokens, WebhookSecrets],
})
export class AuthModule {}
