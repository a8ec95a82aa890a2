import { VadBatcher } from './vad-batcher';
import type { VadBackend, VadFrame } from './vad-backend';

/** A backend that records which owner's frames each batch held (the frame's first sample names the owner). */
class RecordingBackend implements VadBackend {
  readonly name = 'energy' as const;
  readonly batches: number[][] = [];
  /** How long an inference takes; 0: it answers in the same turn. */
  delayMs = 0;
  newState(): object {
    return {};
  }
  releaseState(): void {}
  infer(frames: readonly VadFrame[]): Promise<Float32Array> {
    this.batches.push(frames.map((f) => f.samples[0]!));
    const answer = new Float32Array(frames.length).fill(0.1);
    if (this.delayMs === 0) return Promise.resolve(answer);
    return new Promise((resolve) => setTimeout(() => resolve(answer), this.delayMs));
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const frameOf = (owner: number): VadFrame => ({ samples: new Float32Array([owner]), state: {} });

/** Submits `count` frames for `queue`, `lanes` at a time, each step awaited (as a recording's lanes do). */
async function recording(
  queue: { submit(frame: VadFrame): Promise<number> },
  owner: number,
  count: number,
  lanes: number,
): Promise<void> {
  for (let done = 0; done < count; done += lanes)
    await Promise.all(Array.from({ length: Math.min(lanes, count - done) }, () => queue.submit(frameOf(owner))));
}

describe('VadBatcher sharing between callers', () => {
  it("serves a newcomer's short upload before a caller far ahead, and lets the one ahead finish too", async () => {
    const backend = new RecordingBackend();
    const batcher = new VadBatcher(backend, 64);
    const heavy = batcher.openUpload('key:heavy');
    // The heavy caller has been served a long while already.
    await recording(heavy, 1, 8_000, 16);
    const heavyRest = recording(heavy, 1, 2_000, 16);
    const light = batcher.openUpload('key:light');
    const lightDone = recording(light, 2, 400, 16).then(() => backend.batches.length);
    const lightFinishedAt = await lightDone;
    light.close();
    await heavyRest;
    heavy.close();

    // The first 500 batches were the heavy caller alone.
    const during = backend.batches.slice(500, lightFinishedAt);
    const lightBatches = during.filter((b) => b.includes(2)).length;
    const heavyBatches = during.filter((b) => b.includes(1)).length;
    // The light caller's 25 steps ran with at most a few of the heavy caller's batches between or in them.
    expect(lightBatches).toBe(25);
    expect(heavyBatches).toBeLessThan(lightBatches);
    expect(during.filter((b) => b.includes(1) && b.includes(2)).length).toBeLessThanOrEqual(2);
    // And the heavy caller got all its frames in the end.
    expect(backend.batches.flat().filter((o) => o === 1)).toHaveLength(10_000);
  });

  it('lets two callers with similar work share batches evenly', async () => {
    const backend = new RecordingBackend();
    const batcher = new VadBatcher(backend, 64);
    const a = batcher.openUpload('key:a');
    const b = batcher.openUpload('key:b');
    await Promise.all([recording(a, 1, 3_200, 16), recording(b, 2, 3_200, 16)]);
    a.close();
    b.close();
    const mixed = backend.batches.filter((batch) => batch.includes(1) && batch.includes(2)).length;
    expect(mixed / backend.batches.length).toBeGreaterThan(0.9);
  });

  it('runs live frames (no share) first, whoever else is waiting', async () => {
    const backend = new RecordingBackend();
    const batcher = new VadBatcher(backend, 64);
    const heavy = batcher.openUpload('key:heavy');
    const light = batcher.openUpload('key:light');
    await recording(heavy, 1, 8_000, 16);
    const first = backend.batches.length;
    const live = recording(batcher, 3, 50, 1).then(() => backend.batches.length);
    const [liveDoneAt] = await Promise.all([live, recording(light, 2, 100, 16), recording(heavy, 1, 400, 16)]);
    // Each of the 50 live frames ran in the first batch after it came: none waited for the light or heavy ones.
    const untilLiveDone = backend.batches.slice(first, liveDoneAt);
    expect(untilLiveDone.filter((batch) => batch.includes(3))).toHaveLength(50);
    expect(untilLiveDone.length).toBeLessThanOrEqual(50 + 2);
    heavy.close();
    light.close();
  });
});

describe('VadBatcher and a caller that is ahead', () => {
  it('still serves it while live frames keep arriving during every inference', async () => {
    const backend = new RecordingBackend();
    const batcher = new VadBatcher(backend, 64);
    const heavy = batcher.openUpload('key:heavy');
    await recording(heavy, 1, 8_000, 16);
    const light = batcher.openUpload('key:light');
    // From here each inference takes 2 ms, and a live frame arrives every millisecond: whenever a batch ends,
    // a frame that may run is already waiting.
    backend.delayMs = 2;
    const live = setInterval(() => void batcher.submit(frameOf(3)), 1);
    const lightWork = recording(light, 2, 16 * 50, 16);
    const heavySteps = recording(heavy, 1, 160, 16);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const heavyBy300Ms = backend.batches.slice(500).filter((b) => b.includes(1)).length;
    clearInterval(live);
    await Promise.all([lightWork, heavySteps]);
    // One turn every 8 ms gives it its 10 steps well within 300 ms.
    expect(heavyBy300Ms).toBe(10);
    light.close();
    heavy.close();
  });
});
