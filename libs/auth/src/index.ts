export { type Caller, OPEN_TENANT } from './api-keys';
export { callerOf, RequestCaller } from './request-caller';
export { AuthModule } from './auth.module';
export { Authenticator, type AuthVerdict, presentedKey } from './authenticator';
export { HostPolicy } from './host-policy';
export { StreamTokens } from './stream-tokens';
export { trustProxy } from './client-address';
export { deriveKey } from './derived-keys';
export { WebhookSecrets } from './webhook-secrets';
