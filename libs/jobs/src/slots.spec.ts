import { Slots } from './slots';

const never = new AbortController().signal;

describe('Slots', () => {
  it('gives out `size` slots, then queues takers first come first served', async () => {
    const slots = new Slots(2);
    expect(slots.tryTake()).toBe(true);
    expect(slots.tryTake()).toBe(true);
    expect(slots.tryTake()).toBe(false);
    const order: string[] = [];
    const a = slots.take(never).then(() => order.push('a'));
    const b = slots.take(never).then(() => order.push('b'));
    slots.give();
    await a;
    // The freed slot went to the oldest waiter, so a newcomer does not overtake the queue.
    expect(slots.tryTake()).toBe(false);
    slots.give();
    await b;
    expect(order).toEqual(['a', 'b']);
  });

  it('lets an aborted waiter leave at once; the next slot goes to the one behind it', async () => {
    const slots = new Slots(1);
    expect(slots.tryTake()).toBe(true);
    const leaving = new AbortController();
    const reason = new Error('cancelled');
    const gone = slots.take(leaving.signal);
    let stayed = false;
    const staying = slots.take(never).then(() => (stayed = true));
    leaving.abort(reason);
    await expect(gone).rejects.toBe(reason);
    slots.give();
    await staying;
    expect(stayed).toBe(true);
    slots.give();
    expect(slots.tryTake()).toBe(true);
  });

  it('refuses a taker whose signal is already aborted', async () => {
    const aborted = new AbortController();
    aborted.abort(new Error('shutdown'));
    await expect(new Slots(1).take(aborted.signal)).rejects.toThrow('shutdown');
  });
});
