import 'reflect-metadata';

export type ConfigGroup = 'api' | 'logging' | 'audio' | 'asr' | 'vad' | 'streaming' | 'jobs' | 'storage' | 'security';

export interface EnvVarOptions {
  group: ConfigGroup;
  /** One sentence for the README table and .env.example. */
  description: string;
  /** Masked in every message, log line and `config check` output. */
  secret?: boolean;
  /** Enum-like values are matched case-insensitively (the deployment guide writes `LOG_LEVEL=INFO`). */
  lowercase?: boolean;
}

export type EnvValueKind = 'string' | 'number' | 'boolean';

export interface EnvVarDefinition extends EnvVarOptions {
  name: string;
  kind: EnvValueKind;
}

const definitions: EnvVarDefinition[] = [];

/** Declares an environment variable: its documentation lives next to its validation rules. */
export function EnvVar(options: EnvVarOptions): PropertyDecorator {
  return (target, propertyKey) => {
    const name = String(propertyKey);
    const designType: unknown = Reflect.getMetadata('design:type', target, propertyKey);
    const kind: EnvValueKind = designType === Number ? 'number' : designType === Boolean ? 'boolean' : 'string';
    definitions.push({ ...options, name, kind });
  };
}

/** Every declared variable, in declaration order. */
export function envVarDefinitions(): readonly EnvVarDefinition[] {
  return definitions;
}
