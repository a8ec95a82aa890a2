import { GrowableSamples } from './growable-samples';

/** 0, 1, 2, … as samples, from `from`. */
const ramp = (from: number, length: number): Float32Array => Float32Array.from({ length }, (_, i) => from + i);

describe('GrowableSamples', () => {
  it('keeps every sample in order through appends, drops and the moves they cause', () => {
    const held = new GrowableSamples(8);
    let next = 0;
    let first = 0;
    for (let round = 0; round < 200; round += 1) {
      const count = 1 + ((round * 7) % 13);
      held.append(ramp(next, count));
      next += count;
      const drop = (round * 5) % 11;
      held.dropFront(drop);
      first = Math.min(next, first + drop);
      expect(held.length).toBe(next - first);
      expect(Array.from(held.samples)).toEqual(Array.from(ramp(first, next - first)));
    }
    expect(Array.from(held.slice(2, 5))).toEqual(
      Array.from(ramp(first + 2, 3)).slice(0, Math.max(0, next - first - 2)),
    );
  });

  it('without drops, a view taken earlier keeps its contents through later appends and grows', () => {
    const held = new GrowableSamples(4);
    held.append(ramp(0, 3));
    const early = held.samples;
    for (let i = 0; i < 10; i += 1) held.append(ramp(3 + i * 5, 5));
    expect(held.length).toBe(53);
    expect(Array.from(early)).toEqual(Array.from(ramp(0, 3)));
    expect(Array.from(held.samples.subarray(0, 3))).toEqual(Array.from(ramp(0, 3)));
  });
});
