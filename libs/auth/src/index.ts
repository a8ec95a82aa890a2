export { type Caller } from './api-keys';
export { AuthModule } from './auth.module';
export { Authenticator, type AuthVerdict, presentedKey } from './authenticator';
export { StreamTokens } from './stream-tokens';
export { trustProxy } from './client-address';
