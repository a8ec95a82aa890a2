import { DownloadError, DownloadWatch } from './download-watch';

const NAMES = { deadline: 'DEADLINE', minRate: 'MIN_RATE' };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Feeds `bytesPerWindow` to `watch` every window (100 ms) for `windows` windows, or until it fails. */
async function feed(
  watch: DownloadWatch,
  bytesPerWindow: (window: number) => number,
  windows: number,
): Promise<number> {
  const started = performance.now();
  for (let window = 0; window < windows && !watch.signal.aborted; window += 1) {
    // Two halves per window, so bytes arrive spread out as a real stream's would.
    for (let half = 0; half < 2 && !watch.signal.aborted; half += 1) {
      watch.received(bytesPerWindow(window) / 2);
      await sleep(50);
    }
  }
  return performance.now() - started;
}

describe('DownloadWatch', () => {
  it('fails a download below the minimum rate at the end of the second window, naming the setting', async () => {
    const watch = new DownloadWatch(new AbortController().signal, {
      deadlineMs: 10_000,
      minRate: 1000,
      names: NAMES,
      windowMs: 100,
    });
    // 50 bytes per 100 ms: 500 B/s.
    const ms = await feed(watch, () => 50, 10);
    watch.stop();
    expect(watch.failure).toBeInstanceOf(DownloadError);
    expect(watch.failure).toMatchObject({ code: 'download_too_slow' });
    expect(watch.failure!.message).toMatch(/below MIN_RATE=1000/);
    expect(ms).toBeGreaterThan(180);
    expect(ms).toBeLessThan(400);
  });

  it('does not judge the first window, and judges each later window on its own', async () => {
    const first = new DownloadWatch(new AbortController().signal, {
      deadlineMs: 10_000,
      minRate: 1000,
      names: NAMES,
      windowMs: 100,
    });
    // Nothing in the first window (connecting), then 2000 B/s: never too slow.
    await feed(first, (w) => (w === 0 ? 0 : 200), 6);
    first.stop();
    expect(first.failure).toBeUndefined();

    // A fast start cannot pay for a trickle later.
    const banked = new DownloadWatch(new AbortController().signal, {
      deadlineMs: 10_000,
      minRate: 1000,
      names: NAMES,
      windowMs: 100,
    });
    await feed(banked, (w) => (w < 3 ? 100_000 : 0), 8);
    banked.stop();
    expect(banked.failure).toMatchObject({ code: 'download_too_slow' });
  });

  it('fails at the deadline with download_timeout', async () => {
    const watch = new DownloadWatch(new AbortController().signal, { deadlineMs: 150, minRate: 0, names: NAMES });
    const started = performance.now();
    await new Promise((resolve) => watch.signal.addEventListener('abort', resolve));
    expect(performance.now() - started).toBeGreaterThan(140);
    expect(watch.failure).toMatchObject({ code: 'download_timeout' });
    expect(watch.failure!.message).toMatch(/DEADLINE=0.15 s/);
  });

  it('passes the caller’s abort through, and is no failure of its own', () => {
    const outer = new AbortController();
    const watch = new DownloadWatch(outer.signal, { deadlineMs: 10_000, minRate: 1, names: NAMES });
    const reason = new Error('cancelled');
    outer.abort(reason);
    watch.stop();
    expect(watch.signal.aborted).toBe(true);
    expect(watch.signal.reason).toBe(reason);
    expect(watch.failure).toBeUndefined();
  });
});
