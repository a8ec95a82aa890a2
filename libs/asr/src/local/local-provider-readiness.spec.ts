import { Logger } from '@nestjs/common';
import { LocalPocketSphinxProvider } from './local-provider';

const MISSING_MODELS = {
  concurrency: 1,
  queue: 1,
  hmmPath: '/nonexistent/hmm',
  lmPath: '/nonexistent/lm',
  dictPath: '/nonexistent/dict',
};

/** Whether `promise` has settled once every callback queued so far has run. */
async function isSettled(promise: Promise<void>): Promise<boolean> {
  let settled = false;
  void promise.then(() => (settled = true));
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('LocalPocketSphinxProvider readiness', () => {
  // The failed load below logs an error on purpose.
  beforeAll(() => {
    Logger.overrideLogger(false);
  });

  it('waits while nothing has loaded, and lets waiters go when the provider closes', async () => {
    const provider = new LocalPocketSphinxProvider(MISSING_MODELS);
    const ready = provider.whenReady();
    expect(await isSettled(ready)).toBe(false);
    await provider.close();
    expect(await isSettled(ready)).toBe(true);
  });

  it('lets waiters go when loading fails, and health says why', async () => {
    const provider = new LocalPocketSphinxProvider(MISSING_MODELS);
    const ready = provider.whenReady();
    const loading = provider.load();
    await ready;
    await loading;
    expect(provider.health()).toMatchObject({
      status: 'down',
      message: expect.stringContaining('ps_init failed') as string,
    });
    await provider.close();
  });
});
