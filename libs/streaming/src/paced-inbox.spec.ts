import { MAX_QUEUED_ITEMS, PacedInbox } from './paced-inbox';

/** An inbox whose audio handler waits until released: what is pushed meanwhile stays queued. */
function heldInbox(): { inbox: PacedInbox<number>; overflows: () => number; handled: number[]; release: () => void } {
  let overflows = 0;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const handled: number[] = [];
  const inbox = new PacedInbox<number>({
    maxRate: 1000,
    onAudio: () => gate,
    onItem: (item) => {
      handled.push(item);
      return Promise.resolve();
    },
    pause: () => undefined,
    resume: () => undefined,
    overflow: () => (overflows += 1),
    failed: (error) => {
      throw error;
    },
  });
  return { inbox, overflows: () => overflows, handled, release };
}

describe('PacedInbox', () => {
  it('gives up on a client that queues more than MAX_QUEUED_ITEMS messages behind its audio', () => {
    const { inbox, overflows } = heldInbox();
    inbox.audio(Buffer.alloc(2), 0.1);
    for (let i = 0; i < MAX_QUEUED_ITEMS; i += 1) inbox.push(i);
    expect(overflows()).toBe(0);
    inbox.push(MAX_QUEUED_ITEMS);
    expect(overflows()).toBe(1);
  });

  it('counts only what still waits: messages worked through make room again, in the order they came', async () => {
    const { inbox, overflows, handled, release } = heldInbox();
    inbox.audio(Buffer.alloc(2), 0.1);
    for (let i = 0; i < MAX_QUEUED_ITEMS; i += 1) inbox.push(i);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(handled).toEqual([...Array(MAX_QUEUED_ITEMS).keys()]);
    for (let i = 0; i < MAX_QUEUED_ITEMS; i += 1) inbox.push(i);
    expect(overflows()).toBe(0);
  });

  it('works audio through before `audio` returns when nothing waits; what comes while it waits is held behind it', async () => {
    const worked: number[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const inbox = new PacedInbox<number>({
      maxRate: 1000,
      onAudio: (data) => {
        worked.push(data.length);
        // The first piece waits (a VAD frame in the batcher); the others finish at once.
        return data.length === 1 ? gate : undefined;
      },
      onItem: (item) => {
        worked.push(-item);
        return Promise.resolve();
      },
      pause: () => undefined,
      resume: () => undefined,
      overflow: () => undefined,
      failed: (error) => {
        throw error;
      },
    });
    inbox.audio(Buffer.alloc(1), 0.02);
    expect(worked).toEqual([1]);
    inbox.audio(Buffer.alloc(2), 0.02);
    inbox.push(7);
    expect(worked).toEqual([1]);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(worked).toEqual([1, 2, -7]);
    inbox.audio(Buffer.alloc(3), 0.02);
    expect(worked).toEqual([1, 2, -7, 3]);
  });
});
