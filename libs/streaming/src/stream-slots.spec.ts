import { ClusterChannel } from '@asr/cluster';
import { loadConfigOrThrow } from '@asr/config';
import { FakePrimary } from '../../../test/support/fake-primary';
import { SlotLedger } from './stream-slot-ledger';
import { ClusterStreamSlots, LocalStreamSlots, StreamSlotBroker, streamSlotsFor } from './stream-slots';

describe('SlotLedger', () => {
  it('counts per caller and in all, the caller’s own limit first, and never frees more than a caller holds', () => {
    const ledger = new SlotLedger({ max: 3, perCaller: 2 });
    expect(['a', 'a', 'a', 'b', 'c', 'c'].map((caller) => ledger.take(caller))).toEqual([
      'admitted',
      'admitted',
      'too_many_streams',
      'admitted',
      'server_full',
      'server_full',
    ]);
    ledger.give('c', 5);
    expect(ledger.used).toBe(3);
    ledger.give('a');
    expect([ledger.take('c'), ledger.take('c')]).toEqual(['admitted', 'server_full']);
  });

  it('has no per-caller limit at 0', () => {
    const ledger = new SlotLedger({ max: 2, perCaller: 0 });
    expect([ledger.take('a'), ledger.take('a'), ledger.take('a')]).toEqual(['admitted', 'admitted', 'server_full']);
  });
});

describe('StreamSlotBroker', () => {
  it('holds a caller to its limit across workers and frees a dead worker’s slots, per caller', () => {
    const broker = new StreamSlotBroker({ max: 10, perCaller: 1 });
    expect([broker.acquire(1, 'key:a'), broker.acquire(2, 'key:a'), broker.acquire(2, 'key:b')]).toEqual([
      'admitted',
      'too_many_streams',
      'admitted',
    ]);
    // A release worker 2 never acquired for key:a must not free worker 1's slot.
    broker.release(2, 'key:a');
    expect(broker.acquire(2, 'key:a')).toBe('too_many_streams');
    broker.workerGone(1);
    expect(broker.used).toBe(1);
    expect(broker.acquire(2, 'key:a')).toBe('admitted');
    broker.release(2, 'key:b');
    expect(broker.used).toBe(1);
  });
});

describe('streamSlotsFor', () => {
  const config = loadConfigOrThrow({ STREAMING_MAX_CLIENTS: '1', STREAMS_PER_KEY: '0' });

  it('counts in this process for a server of its own', async () => {
    const slots = streamSlotsFor(config, new ClusterChannel(undefined));
    expect(slots).toBeInstanceOf(LocalStreamSlots);
    expect([await slots.tryAcquire('a'), await slots.tryAcquire('b')]).toEqual(['admitted', 'server_full']);
  });

  it('asks the primary in a worker, and tells it of each release', async () => {
    const primary = new FakePrimary();
    const slots = streamSlotsFor(config, new ClusterChannel(primary));
    expect(slots).toBeInstanceOf(ClusterStreamSlots);
    const admission = slots.tryAcquire('key:a');
    primary.deliver({ kind: 'asr:reply', id: 0, ok: true, value: 'too_many_streams' });
    await expect(admission).resolves.toBe('too_many_streams');
    slots.release('key:a');
    expect(primary.received).toEqual([
      { kind: 'asr:request', id: 0, topic: 'stream-slot.acquire', payload: { caller: 'key:a' } },
      { kind: 'asr:notice', topic: 'stream-slot.release', payload: { caller: 'key:a' } },
    ]);
  });
});
