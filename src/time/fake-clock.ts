/**
 * A manual {@link Clock} for specs: it stands still until {@link FakeClock.advance} moves it, and
 * then fires the timers that came due, in order of their deadlines (ties in the order they were
 * set), letting the code each one wakes run before the next fires. Install it under the pamiq clock
 * with `setGlobalTimeController(new TimeController(fake))`: interval adjustors, the control loop
 * and the loop runners all wait on the global controller's clock.
 */
import type { Clock, SleepOptions } from './clock.js';

interface Timer {
  at: number;
  seq: number;
  resolve(): void;
}

/** Lets the woken code run: a few turns of the real event loop (no real time is waited for). */
async function settle(turns: number): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}

export interface FakeClockOptions {
  /** The starting reading of {@link FakeClock.now} in ms (default 0). */
  now?: number;
  /** The wall-clock reading at `now` (ms since the epoch; default 2024-01-01T00:00:00Z). */
  wall?: number;
  /** Event-loop turns given to woken code after each timer fires (default 4). */
  settleTurns?: number;
}

export class FakeClock implements Clock {
  private current: number;
  private readonly wallOffset: number;
  private readonly settleTurns: number;
  private timers: Timer[] = [];
  private seq = 0;

  constructor(options: FakeClockOptions = {}) {
    this.current = options.now ?? 0;
    this.wallOffset = (options.wall ?? Date.UTC(2024, 0, 1)) - this.current;
    this.settleTurns = options.settleTurns ?? 4;
  }

  now(): number {
    return this.current;
  }

  wallNow(): number {
    return this.current + this.wallOffset;
  }

  /** Resolves when the clock has been advanced by `ms` (or at the next event-loop turn for ms ≤ 0). */
  sleep(ms: number, options: SleepOptions = {}): Promise<void> {
    const { signal } = options;
    if (signal?.aborted) return Promise.resolve();
    if (!(ms > 0)) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      const timer: Timer = {
        at: this.current + ms,
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', cancel);
          resolve();
        },
      };
      const cancel = () => {
        this.timers = this.timers.filter((t) => t !== timer);
        resolve();
      };
      signal?.addEventListener('abort', cancel, { once: true });
      this.timers.push(timer);
    });
  }

  /** How many timers are waiting. */
  get pending(): number {
    return this.timers.length;
  }

  /** The deadline of the earliest waiting timer, or undefined when none waits. */
  get nextAt(): number | undefined {
    return this.earliest()?.at;
  }

  private earliest(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.timers) if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }

  /**
   * Moves the clock forward by `ms`, firing every timer due by then — including timers set by the
   * code that an earlier one woke — each at its own deadline. Resolves once the woken code had
   * its event-loop turns.
   * @throws RangeError when `ms` is negative or not finite.
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`advance: ms must be a finite number >= 0, got ${ms}`);
    const target = this.current + ms;
    for (;;) {
      const next = this.earliest();
      if (!next || next.at > target) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.at);
      next.resolve();
      await settle(this.settleTurns);
    }
    this.current = target;
    await settle(this.settleTurns);
  }

  /**
   * Advances in steps of `stepMs` until `done()` is true.
   * @returns the ms advanced. @throws Error when `done()` is still false after `maxMs` of fake time.
   */
  async advanceUntil(done: () => boolean, stepMs: number, maxMs: number): Promise<number> {
    let advanced = 0;
    while (!done()) {
      if (advanced >= maxMs) throw new Error(`advanceUntil: condition still false after ${advanced} ms of fake time`);
      await this.advance(stepMs);
      advanced += stepMs;
    }
    return advanced;
  }
}
