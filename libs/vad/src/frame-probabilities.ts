import type { VadBatcher } from './vad-batcher';
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
  batcher: VadBatcher,
  state: VadStreamState,
  timing: VadTiming,
): AsyncGenerator<number> {
  const frame = new Float32Array(FRAME_SAMPLES);
  let filled = 0;
  for await (const block of blocks) {
    let offset = 0;
    while (offset < block.length) {
      const take = Math.min(FRAME_SAMPLES - filled, block.length - offset);
      frame.set(block.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled < FRAME_SAMPLES) break;
      filled = 0;
      yield await timed(timing, batcher.submit({ samples: frame, state }));
    }
  }
  if (filled > 0) {
    frame.fill(0, filled);
    yield await timed(timing, batcher.submit({ samples: frame, state }));
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
  batcher: VadBatcher,
  newState: () => VadStreamState,
  lanes: number,
  timing: VadTiming,
): AsyncGenerator<number> {
  if (lanes <= 1) {
    yield* sequentialProbabilities(blocks, batcher, newState(), timing);
    return;
  }
  const windowFrames = lanes * LANE_FRAMES;
  const window = new Float32Array(windowFrames * FRAME_SAMPLES);
  let filled = 0;
  let carried = newState();
  const runWindow = async (frames: number): Promise<Float32Array> => {
    const { probabilities, lastState } = await inferLanes(window, frames, carried, newState, batcher, timing);
    carried = lastState;
    return probabilities;
  };
  for await (const block of blocks) {
    let offset = 0;
    while (offset < block.length) {
      const take = Math.min(window.length - filled, block.length - offset);
      window.set(block.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled < window.length) break;
      filled = 0;
      yield* await runWindow(windowFrames);
    }
  }
  if (filled > 0) {
    const frames = Math.ceil(filled / FRAME_SAMPLES);
    window.fill(0, filled, frames * FRAME_SAMPLES);
    yield* await runWindow(frames);
  }
}

interface Lane {
  from: number;
  start: number;
  end: number;
  state: VadStreamState;
}

async function inferLanes(
  window: Float32Array,
  frames: number,
  carried: VadStreamState,
  newState: () => VadStreamState,
  batcher: VadBatcher,
  timing: VadTiming,
): Promise<{ probabilities: Float32Array; lastState: VadStreamState }> {
  const lanes: Lane[] = [];
  for (let start = 0; start < frames; start += LANE_FRAMES) {
    const first = start === 0;
    lanes.push({
      from: first ? 0 : start - WARM_UP_FRAMES,
      start,
      end: Math.min(frames, start + LANE_FRAMES),
      state: first ? carried : newState(),
    });
  }
  const probabilities = new Float32Array(frames);
  const steps = Math.max(...lanes.map((lane) => lane.end - lane.from));
  for (let step = 0; step < steps; step += 1) {
    const active = lanes.filter((lane) => lane.from + step < lane.end);
    const results = await timed(
      timing,
      Promise.all(
        active.map((lane) => {
          const at = (lane.from + step) * FRAME_SAMPLES;
          return batcher.submit({ samples: window.subarray(at, at + FRAME_SAMPLES), state: lane.state });
        }),
      ),
    );
    active.forEach((lane, i) => {
      const frame = lane.from + step;
      if (frame >= lane.start) probabilities[frame] = results[i]!;
    });
  }
  return { probabilities, lastState: lanes[lanes.length - 1]!.state };
}

async function timed<T>(timing: VadTiming, work: Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await work;
  } finally {
    timing.vadMs += performance.now() - started;
  }
}
