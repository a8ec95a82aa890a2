import { Webhook } from 'standardwebhooks';
import { loadConfigOrThrow } from '@asr/config';
import { deriveKey } from './derived-keys';
import { WebhookSecrets } from './webhook-secrets';

const SECRET = 'a-secret-key-of-thirty-two-chars!';
const secrets = (secretKey?: string): WebhookSecrets =>
  new WebhookSecrets(loadConfigOrThrow(secretKey === undefined ? {} : { SECRET_KEY: secretKey }));

describe('deriveKey', () => {
  it('gives 32 bytes, the same each time for one secret and purpose', () => {
    const key = deriveKey(SECRET, 'stream-token');
    expect(key).toHaveLength(32);
    expect(deriveKey(SECRET, 'stream-token').equals(key)).toBe(true);
  });

  it.each([
    ['another purpose', SECRET, 'stream-token'],
    ['another tenant', SECRET, 'webhook:team-b'],
    ['another secret', 'b-secret-key-of-thirty-two-chars!', 'webhook:team-a'],
  ])('gives a different key for %s', (_case, secret, purpose) => {
    expect(deriveKey(secret, purpose).equals(deriveKey(SECRET, 'webhook:team-a'))).toBe(false);
  });

  it('is not the secret itself, nor a prefix of it', () => {
    expect(deriveKey(SECRET, 'x').toString('utf8')).not.toContain(SECRET.slice(0, 8));
  });
});

describe('WebhookSecrets', () => {
  it('is available only with SECRET_KEY', () => {
    expect(secrets(SECRET).available).toBe(true);
    expect(secrets().available).toBe(false);
    expect(() => secrets().keyFor('team-a')).toThrow('SECRET_KEY is not set');
  });

  it('gives each tenant its own key, apart from the stream tokens’ key', () => {
    const webhooks = secrets(SECRET);
    const a = webhooks.keyFor('team-a');
    expect(a.equals(webhooks.keyFor('team-b'))).toBe(false);
    expect(a.equals(deriveKey(SECRET, 'stream-token'))).toBe(false);
    expect(a.equals(secrets(SECRET).keyFor('team-a'))).toBe(true);
  });

  it('shows the key as Standard Webhooks libraries take it: a receiver verifies what the key signs', () => {
    const webhooks = secrets(SECRET);
    const shown = webhooks.shownFor('team-a');
    expect(shown).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const payload = '{"type":"job.completed"}';
    const timestamp = new Date();
    const signature = new Webhook(webhooks.keyFor('team-a').toString('base64')).sign('msg_1', timestamp, payload);
    const headers = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': signature,
    };
    expect(new Webhook(shown).verify(payload, headers)).toEqual({ type: 'job.completed' });
    expect(() => new Webhook(secrets(SECRET).shownFor('team-b')).verify(payload, headers)).toThrow();
  });
});
