import { SampleBufferPool } from './sample-buffer-pool';

/** Classes of 100, 200, 400 and 800 samples, and room enough to keep what these tests give back. */
const pool = (): SampleBufferPool => new SampleBufferPool({ smallest: 100, largest: 700, keepBytes: 4_800 });

describe('SampleBufferPool', () => {
  it('hands out the smallest class that holds what is asked, each class twice the last, up to one that holds the largest', () => {
    const buffers = pool();
    expect([1, 100, 101, 200, 399, 401, 700, 800].map((n) => buffers.take(n).length)).toEqual([
      100, 100, 200, 200, 400, 800, 800, 800,
    ]);
    expect(buffers.take().length).toBe(100);
  });

  it('a buffer given back is handed out again in its own class only', () => {
    const buffers = pool();
    const small = buffers.take(50);
    const large = buffers.take(300);
    buffers.give(small);
    buffers.give(large);
    expect(buffers.idle).toBe(2);
    expect(buffers.take(350)).toBe(large);
    expect(buffers.take(200)).not.toBe(small);
    expect(buffers.take(10)).toBe(small);
    expect(buffers.idle).toBe(0);
  });

  it('past the largest class a buffer is fresh, of the size asked, and never kept', () => {
    const buffers = pool();
    const huge = buffers.take(1000);
    expect(huge.length).toBe(1000);
    buffers.give(huge);
    expect(buffers.idle).toBe(0);
    expect(buffers.take(1000)).not.toBe(huge);
  });

  it('keeps no view, nor a buffer of no class’s size', () => {
    const buffers = pool();
    buffers.give(buffers.take(400).subarray(0, 200));
    buffers.give(new Float32Array(150));
    buffers.give(new Float32Array(new ArrayBuffer(1600), 0, 100));
    expect(buffers.idle).toBe(0);
  });

  it('keeps free buffers up to its byte budget and leaves the rest to the collector', () => {
    const buffers = new SampleBufferPool({ smallest: 100, largest: 700, keepBytes: 2_000 });
    const taken = Array.from({ length: 6 }, () => buffers.take(100));
    for (const buffer of taken) buffers.give(buffer);
    // 5 × 400 bytes fill the budget: the sixth is not kept.
    expect(buffers.idle).toBe(5);
    expect(buffers.take(100)).toBe(taken[4]);
    // One taken out makes room for one given back.
    buffers.give(taken[5]!);
    expect(buffers.idle).toBe(5);
    expect(buffers.take(100)).toBe(taken[5]);
  });

  it('a buffer that does not fit the budget takes the room of free ones of larger classes', () => {
    const buffers = new SampleBufferPool({ smallest: 100, largest: 700, keepBytes: 4_000 });
    const large = [buffers.take(800), buffers.take(800)];
    const small = [buffers.take(100), buffers.take(100), buffers.take(100)];
    for (const buffer of large) buffers.give(buffer);
    // 3,200 bytes each: the second does not fit beside the first, and no larger class has one to give way.
    expect(buffers.idle).toBe(1);
    for (const buffer of small) buffers.give(buffer);
    // 400 bytes each: two fit beside the large one (4,000), the third takes its room.
    expect(buffers.idle).toBe(3);
    expect(large).not.toContain(buffers.take(800));
    expect(small).toContain(buffers.take(100));
    // A smaller class gives no way to a larger one: 800 + 2 × 400 fit, a further 3,200 does not.
    buffers.give(buffers.take(200));
    buffers.give(large[0]!);
    expect(buffers.idle).toBe(3);
  });

  it('refuses a smallest size that is no whole number of samples', () => {
    expect(() => new SampleBufferPool({ smallest: 0, largest: 10, keepBytes: 1 })).toThrow(RangeError);
    expect(() => new SampleBufferPool({ smallest: Number.NaN, largest: 10, keepBytes: 1 })).toThrow(RangeError);
  });
});
