import type { VadFrameQueue } from './vad-batcher';
import { SampleAccumulator } from './sample-accumulator';
import { FRAME_SAMPLES, type VadStreamState } from './vad-backend';

/** Time spent waiting for VAD inference, added to by the functions below. */
export interface VadTiming {
  vadMs: number;
}

/**
 * The speech probability of each 512-sample frame of a recording, in order, one inference at a time: exact, and
 * what a live stream must do (its next frame does not exist yet). A last partial frame is padded with silence.
 */
export async function* sequentialProbabilities(
  blocks: AsyncIterable<Float32Array>,
  batcher: VadFrameQueue,
  state: VadStreamState,
  timing: VadTiming,
): AsyncGenerator<number> {
  const frame = new SampleAccumulator(FRAME_SAMPLES);
  for await (const block of blocks) {
    for (let offset = 0; offset < block.length;) {
      offset += frame.fill(block, offset);
      if (frame.full) {
        frame.clear();
        yield await timed(timing, batcher.submit({ samples: frame.buffer, state }));
      }
    }
  }
  if (frame.filled > 0) {
    frame.padToFrames();
    yield await timed(timing, batcher.submit({ samples: frame.buffer, state }));
  }
}

/** Frames per lane (8 s) and of warm-up before it (1 s): the warm-up's cost is 12.5% extra inference. */
export const LANE_FRAMES = 250;
export const WARM_UP_FRAMES = 32;

/**
 * The same probabilities for a recording that is all there (an upload), batched: each window of `lanes` × 8 s is
 * cut into lanes that run side by side as one batch a step, which costs less than half the CPU of one frame per
 * inference. The first lane of a window continues the previous window's last lane (its state is exact); every other
 * lane starts fresh on the second of audio before it. Silero's state remembers further back than that, so
 * probabilities differ a little from a sequential pass (mostly within a few frames of a lane's start); `lanes = 1`
 * is the sequential pass.
 */
export async function* lanedProbabilities(
  blocks: AsyncIterable<Float32Array>,
  batcher: VadFrameQueue,
  lanes: number,
  timing: VadTiming,
): AsyncGenerator<number> {
  const first = batcher.newState();
  if (lanes <= 1) {
    try {
      yield* sequentialProbabilities(blocks, batcher, first, timing);
    } finally {
      batcher.releaseState(first);
    }
    return;
  }
  const windows = new LaneWindows(batcher, lanes, first, timing);
  try {
    for await (const block of blocks) {
      // Reading a window's audio is work too: it waits its turn like the rest (VadFrameQueue.pace).
      await batcher.pace();
      for (let offset = 0; offset < block.length;) {
        offset += windows.fill(block, offset);
        if (windows.full) yield* paced(await windows.run(), batcher);
      }
    }
    if (windows.filled > 0) yield* paced(await windows.run(), batcher);
  } finally {
    windows.release();
  }
}

/** Frames handed on between turns of the event loop: a window's 4,000 would otherwise run as one long burst. */
const FRAMES_PER_TURN = 256;

/** A window's probabilities, with a turn of the event loop every FRAMES_PER_TURN (others' requests, live streams). */
async function* paced(probabilities: Float32Array, queue: VadFrameQueue): AsyncGenerator<number> {
  for (let at = 0; at < probabilities.length; at += 1) {
    if (at > 0 && at % FRAMES_PER_TURN === 0) await queue.pace();
    yield probabilities[at]!;
  }
}

/** One window of audio cut into lanes; the last lane's state carries into the next window's first lane. */
class LaneWindows {
  private readonly window: SampleAccumulator;

  constructor(
    private readonly batcher: VadFrameQueue,
    lanes: number,
    private carried: VadStreamState,
    private readonly timing: VadTiming,
  ) {
    this.window = new SampleAccumulator(lanes * LANE_FRAMES * FRAME_SAMPLES);
  }

  get full(): boolean {
    return this.window.full;
  }

  get filled(): number {
    return this.window.filled;
  }

  /** Copies as much of `samples` from `from` on as fits; returns how many. */
  fill(samples: Float32Array, from: number): number {
    return this.window.fill(samples, from);
  }

  /** The probabilities of the frames filled so far (a last partial frame padded with silence); empties the window. */
  async run(): Promise<Float32Array> {
    const frames = this.window.padToFrames();
    this.window.clear();
    const lanes: Lane[] = [];
    for (let start = 0; start < frames; start += LANE_FRAMES) {
      const first = start === 0;
      lanes.push({
        from: first ? 0 : start - WARM_UP_FRAMES,
        start,
        end: Math.min(frames, start + LANE_FRAMES),
        state: first ? this.carried : this.batcher.newState(),
      });
    }
    const probabilities = new Float32Array(frames);
    try {
      const steps = Math.max(...lanes.map((lane) => lane.end - lane.from));
      for (let step = 0; step < steps; step += 1) {
        const active = lanes.filter((lane) => lane.from + step < lane.end);
        const results = await timed(this.timing, Promise.all(active.map((lane) => this.submit(lane, step))));
        active.forEach((lane, i) => {
          if (lane.from + step >= lane.start) probabilities[lane.from + step] = results[i]!;
        });
      }
    } finally {
      // Every lane but the last is done; the last one's state carries on.
      const last = lanes.pop()!;
      for (const lane of lanes) this.batcher.releaseState(lane.state);
      this.carried = last.state;
    }
    return probabilities;
  }

  release(): void {
    this.batcher.releaseState(this.carried);
  }

  private submit(lane: Lane, step: number): Promise<number> {
    const at = (lane.from + step) * FRAME_SAMPLES;
    return this.batcher.submit({ samples: this.window.buffer.subarray(at, at + FRAME_SAMPLES), state: lane.state });
  }
}

interface Lane {
  from: number;
  start: number;
  end: number;
  state: VadStreamState;
}

async function timed<T>(timing: VadTiming, work: Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work;
  } finally {
    timing.vadMs += performance.now() - started;
  }
}
