import { createHash } from 'node:crypto';

/**
 * A UUID-shaped name derived from `seed`: the same input always gives the same id. Deepgram's live and prerecorded
 * endpoints both name the model by it (the same provider and model get the same id in `metadata.models`), and a
 * retried callback's ids match.
 */
export function stableUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
