import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { ApiError } from '@asr/observability';
import type { UploadFields } from './upload';

/**
 * Validates multipart fields with the same class-validator DTOs as a JSON body would use; unknown fields are
 * refused when `strict` (the native API) and ignored otherwise (OpenAI clients send fields we do not use).
 */
export function validateFields<T extends object>(dto: new () => T, fields: UploadFields, strict: boolean): T {
  const instance = plainToInstance(dto, fields, { enableImplicitConversion: false });
  const errors = validateSync(instance, { whitelist: true, forbidNonWhitelisted: strict });
  if (errors.length > 0) {
    const messages = errors.flatMap((e) => Object.values(e.constraints ?? {}));
    throw new ApiError(400, 'validation_failed', messages.join('; '));
  }
  return instance;
}

/** `EN`, `en-US` → `en`. */
export function normaliseLanguage(language: string | undefined): string | undefined {
  return language?.trim().toLowerCase().split(/[-_]/)[0] || undefined;
}
