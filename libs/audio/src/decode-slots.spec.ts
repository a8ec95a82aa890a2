import type { AppConfig } from '@asr/config';
import { DecodeSlots } from './decode-slots';

const slotsOf = (capacity: number): DecodeSlots =>
  new DecodeSlots({ audio: { decodeConcurrency: capacity } } as unknown as AppConfig);

describe('DecodeSlots', () => {
  it('hands free slots to waiting callers in turn, not in arrival order', async () => {
    const slots = slotsOf(1);
    let release = await slots.acquire('key:a');
    const order: string[] = [];
    const releases = new Map<string, () => void>();
    const wait = (owner: string, name: string): void =>
      void slots.acquire(owner).then((r) => {
        order.push(name);
        releases.set(name, r);
      });
    wait('key:a', 'a1');
    wait('key:a', 'a2');
    wait('key:a', 'a3');
    wait('key:b', 'b1');
    wait('key:c', 'c1');
    for (let i = 0; i < 5; i += 1) {
      release();
      await new Promise((resolve) => setImmediate(resolve));
      release = releases.get(order[order.length - 1]!)!;
    }
    release();
    // b and c queued after a's three, yet each gets a turn before a's second and third.
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'a3']);
    expect(slots.busy).toBe(0);
  });

  it('gives up waiting when the request is aborted, and the slot goes to the next', async () => {
    const slots = slotsOf(1);
    const held = await slots.acquire('key:a');
    const abort = new AbortController();
    const gone = slots.acquire('key:b', abort.signal);
    const next = slots.acquire('key:c');
    abort.abort();
    await expect(gone).rejects.toThrow();
    held();
    const release = await next;
    expect(slots.busy).toBe(1);
    release();
    expect(slots.busy).toBe(0);
  });
});
