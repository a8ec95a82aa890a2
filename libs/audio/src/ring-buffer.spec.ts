import { RingBuffer } from './ring-buffer';

const ramp = (from: number, length: number): Float32Array => Float32Array.from({ length }, (_, i) => from + i);

describe('RingBuffer', () => {
  it('keeps the most recent samples, addressed by absolute index, across wrap-around', () => {
    const ring = new RingBuffer(10);
    ring.write(ramp(0, 7));
    ring.write(ramp(7, 7));
    expect(ring.start).toBe(4);
    expect(ring.end).toBe(14);
    expect(Array.from(ring.read(4))).toEqual(Array.from(ramp(4, 10)));
    expect(Array.from(ring.read(9, 12))).toEqual([9, 10, 11]);
  });

  it('clamps reads to what is still held', () => {
    const ring = new RingBuffer(4);
    ring.write(ramp(0, 6));
    expect(Array.from(ring.read(0, 3))).toEqual([2]);
    expect(ring.read(10).length).toBe(0);
  });

  it('keeps only the tail of a write longer than itself', () => {
    const ring = new RingBuffer(5);
    ring.write(ramp(0, 3));
    ring.write(ramp(3, 12));
    expect(ring.end).toBe(15);
    expect(Array.from(ring.read(0))).toEqual([10, 11, 12, 13, 14]);
  });
});
