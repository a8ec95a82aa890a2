import { FakePrimary } from '../../../test/support/fake-primary';
import { ClusterChannel } from './cluster-channel';

const settled = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ClusterChannel', () => {
  it('in a server of its own: asks fail, tells and answers do nothing', async () => {
    const channel = new ClusterChannel(undefined);
    expect(channel.inWorker).toBe(false);
    channel.tell('topic');
    channel.answer('topic', () => 1);
    await expect(channel.ask('stream-slot.acquire')).rejects.toThrow('not a cluster worker');
  });

  it('matches the primary’s replies to its requests by id, failures included', async () => {
    const primary = new FakePrimary();
    const channel = new ClusterChannel(primary);
    const first = channel.ask<string>('a', { n: 1 });
    const second = channel.ask<string>('b');
    expect(primary.received).toEqual([
      { kind: 'asr:request', id: 0, topic: 'a', payload: { n: 1 } },
      { kind: 'asr:request', id: 1, topic: 'b', payload: undefined },
    ]);
    primary.deliver({ kind: 'asr:reply', id: 1, ok: false, error: 'full' });
    primary.deliver({ kind: 'asr:reply', id: 0, ok: true, value: 'yes' });
    await expect(first).resolves.toBe('yes');
    await expect(second).rejects.toThrow('full');
  });

  it('gives up on a request the primary never answers', async () => {
    const channel = new ClusterChannel(new FakePrimary());
    await expect(channel.ask('metrics.cluster', undefined, 5)).rejects.toThrow('no answer to "metrics.cluster"');
  });

  it('answers the primary’s requests on its topics, and says so for a topic it does not know', async () => {
    const primary = new FakePrimary();
    const channel = new ClusterChannel(primary);
    channel.answer('metrics.worker', (payload) => ({ echo: payload }));
    primary.deliver({ kind: 'asr:request', id: 7, topic: 'metrics.worker', payload: 3 });
    primary.deliver({ kind: 'asr:request', id: 8, topic: 'other' });
    primary.deliver('not a message of ours');
    await settled();
    // Each reply goes when its handler settles, so in any order.
    expect(primary.received).toHaveLength(2);
    expect(primary.received).toEqual(
      expect.arrayContaining([
        { kind: 'asr:reply', id: 7, ok: true, value: { echo: 3 } },
        { kind: 'asr:reply', id: 8, ok: false, error: 'Error: no handler for "other"' },
      ]),
    );
  });

  it('tells without waiting, and stops listening at shutdown', () => {
    const primary = new FakePrimary();
    const channel = new ClusterChannel(primary);
    channel.tell('worker.ready');
    expect(primary.received).toEqual([{ kind: 'asr:notice', topic: 'worker.ready', payload: undefined }]);
    expect(primary.listening).toBe(false);
    channel.answer('metrics.worker', () => []);
    expect(primary.listening).toBe(true);
    channel.onApplicationShutdown();
    expect(primary.listening).toBe(false);
  });
});
