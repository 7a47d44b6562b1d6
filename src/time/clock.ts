/**
 * The source of real time under the pamiq clock and the loops: readings and timers. The default,
 * {@link realClock}, reads `performance.now()` / `Date.now()` and waits on Node timers; a
 * {@link FakeClock} (`fake-clock.ts`) stands still until told to advance, so specs drive time
 * deterministically instead of sleeping.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';

export interface SleepOptions {
  /** Aborting it ends the wait at once (the promise resolves; it never rejects). */
  signal?: AbortSignal;
  /**
   * Wake as close to the deadline as possible (the real clock polls the last 2 ms), for periods
   * that must stay accurate; otherwise an ordinary timer that may fire a little late.
   */
  precise?: boolean;
}

export interface Clock {
  /** Monotonic milliseconds (arbitrary origin); never runs backwards. */
  now(): number;
  /** Wall-clock milliseconds since the epoch. */
  wallNow(): number;
  /**
   * Resolves once `ms` milliseconds of this clock have passed (never early). A wait of 0 or less
   * still yields to the event loop once.
   */
  sleep(ms: number, options?: SleepOptions): Promise<void>;
}

/** Sleeps `ms` of real time precisely: a timer for most of it, then yielding polls (< 2 ms). */
function preciseSleep(ms: number, signal?: AbortSignal): Promise<void> {
  const deadline = performance.now() + ms;
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const poll = () => {
      if (signal?.aborted) return done();
      const left = deadline - performance.now();
      if (left <= 0) done();
      // setTimeout fires 1–2 ms late; leave the last stretch to setImmediate so periods stay accurate.
      else if (left > 2) timer = setTimeout(poll, Math.min(left - 1.5, 2 ** 31 - 1));
      else setImmediate(poll);
    };
    signal?.addEventListener('abort', done, { once: true });
    poll();
  });
}

/** Real time: `performance.now()`, `Date.now()` and Node timers. */
export const realClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  sleep(ms, options = {}) {
    const { signal, precise } = options;
    if (signal?.aborted) return Promise.resolve();
    if (!(ms > 0)) return new Promise((resolve) => setImmediate(resolve));
    if (precise) return preciseSleep(ms, signal);
    return delay(Math.min(ms, 2 ** 31 - 1), undefined, { signal }).catch(() => undefined);
  },
};
