/**
 * A fake clock under the global time controller, for specs of code that waits on time (the loops,
 * the control loop, interval adjustors, max uptime): the spec moves time instead of sleeping, so
 * how busy the machine is changes how long the spec takes, never what it sees.
 */
import type { ExecutionContext } from 'ava';
import { FakeClock, TimeController, setGlobalTimeController } from '../../src/time/index.js';

/** Installs a global time controller on a new FakeClock for the rest of the spec. */
export function installFakeClock(t: ExecutionContext): FakeClock {
  const clock = new FakeClock();
  const previous = setGlobalTimeController(new TimeController(clock));
  t.teardown(() => setGlobalTimeController(previous));
  return clock;
}

/**
 * Advances `clock` in steps of `stepMs` until `promise` settles; returns what it settles to.
 * @throws Error when it has not settled after `maxMs` of fake time (a hang, not a slow machine:
 *   fake time only passes while the code under test waits on it).
 */
export async function drive<T>(clock: FakeClock, promise: Promise<T>, stepMs = 1, maxMs = 600_000): Promise<T> {
  let settled = false;
  const watched = promise.finally(() => (settled = true));
  watched.catch(() => undefined);
  await clock.advanceUntil(() => settled, stepMs, maxMs);
  return watched;
}

/**
 * Waits (on real time, polling) until `done()` is true. The limit is a hang detector, generous on
 * purpose: a spec asserts what happened, never how fast.
 */
export async function until(done: () => boolean, what: string, limitMs = 60_000): Promise<void> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > limitMs) throw new Error(`still waiting for ${what} after ${limitMs} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
