import { ScriptedProvider } from '../../../test/support/scripted-provider';
import { AsrHealth } from './asr.health';

describe('AsrHealth', () => {
  it.each([{ status: 'up' as const }, { status: 'down' as const, message: 'loading the speech models' }])(
    'reports the provider’s own health under "asr": %j',
    async (health) => {
      const contributor = new AsrHealth(new ScriptedProvider({ answers: [], health }));
      expect(contributor.healthKey).toBe('asr');
      await expect(contributor.checkHealth()).resolves.toEqual(health);
    },
  );
});
