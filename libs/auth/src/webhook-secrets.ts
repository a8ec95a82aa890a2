import { Injectable } from '@nestjs/common';
import { AppConfig } from '@asr/config';
import { deriveKey } from './derived-keys';

/**
 * Each tenant's webhook signing secret: derived from SECRET_KEY for that tenant alone, so a receiver can verify its
 * own webhooks but cannot forge another tenant's, nor stream tokens (docs/security.md, "Webhook signatures").
 */
@Injectable()
export class WebhookSecrets {
  constructor(private readonly config: AppConfig) {}

  /** False: SECRET_KEY is not set, so webhooks cannot be signed. */
  get available(): boolean {
    return Boolean(this.config.security.secretKey);
  }

  /** The raw 32-byte key that signs `tenant`'s webhooks. */
  keyFor(tenant: string): Buffer {
    const secret = this.config.security.secretKey;
    if (!secret) throw new Error('SECRET_KEY is not set; webhooks cannot be signed');
    return deriveKey(secret, `webhook:${tenant}`);
  }

  /** The same key as Standard Webhooks libraries take it: `whsec_<base64>`. */
  shownFor(tenant: string): string {
    return `whsec_${this.keyFor(tenant).toString('base64')}`;
  }
}
