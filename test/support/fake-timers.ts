/** Every timer API Jest can fake. */
const TIMER_APIS = [
  'Date',
  'hrtime',
  'nextTick',
  'performance',
  'queueMicrotask',
  'requestAnimationFrame',
  'cancelAnimationFrame',
  'requestIdleCallback',
  'cancelIdleCallback',
  'setImmediate',
  'clearImmediate',
  'setInterval',
  'clearInterval',
  'setTimeout',
  'clearTimeout',
] as const;

type TimerApi = (typeof TIMER_APIS)[number];

/**
 * Fakes only `faked` (say a service's `setInterval` poll, and `Date` when the test sets the clock), so sockets,
 * timeouts and promises keep real time while `jest.advanceTimersByTime` drives the rest.
 */
export function fakeOnly(...faked: TimerApi[]): void {
  jest.useFakeTimers({ doNotFake: TIMER_APIS.filter((api) => !faked.includes(api)) });
}
