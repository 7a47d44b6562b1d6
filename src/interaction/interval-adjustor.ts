import { TimeAnchor } from '../time/anchor.js';
import type { TimeController } from '../time/controller.js';
import { getGlobalTimeController } from '../time/global.js';

/**
 * Keeps a loop at a fixed period of pamiq time (so it follows the time scale, and a pause causes no
 * burst of catch-up steps: the clock stands still while paused). {@link reset} starts a period;
 * {@link adjust}, called at the end of each step, waits out the rest of it and starts the next.
 *
 * `offset` shortens the first period after {@link reset} only (the original applied it to every
 * period, contrary to its documentation). Overruns are not compensated: a late step delays the
 * following ones instead of shortening them.
 *
 * The clock is the global time controller (looked up at each use) unless one is given; a controller
 * on a {@link FakeClock} makes the periods deterministic in specs.
 */
export abstract class IntervalAdjustor {
  private readonly anchor: TimeAnchor;
  private pendingOffset: number;

  /** @throws RangeError when `interval` is negative or not finite, or `offset` is not finite. */
  constructor(
    readonly interval: number,
    readonly offset = 0,
    private readonly controller?: TimeController,
  ) {
    if (!Number.isFinite(interval) || interval < 0) {
      throw new RangeError(`interval must be a finite number >= 0, got ${interval}`);
    }
    if (!Number.isFinite(offset)) throw new RangeError(`offset must be a finite number, got ${offset}`);
    this.pendingOffset = offset;
    this.anchor = new TimeAnchor('perfCounter', controller);
  }

  /** The pamiq clock the periods are measured and waited on. */
  protected get clock(): TimeController {
    return this.controller ?? getGlobalTimeController();
  }

  /** Seconds the current period should last. */
  get timeToWait(): number {
    return this.interval - this.pendingOffset;
  }

  /** Seconds of pamiq time since the period started; Infinity before the first {@link reset}. */
  get elapsed(): number {
    return this.anchor.isSet ? this.anchor.elapsed() : Infinity;
  }

  /** Starts a period now, with the offset applied; returns the pamiq perf-counter reading. */
  reset(): number {
    this.pendingOffset = this.offset;
    return this.anchor.reset();
  }

  /** Waits for the rest of the current period. */
  protected abstract adjustImpl(): void | Promise<void>;

  /** Waits for the rest of the period, then starts the next; returns the period's length in seconds. */
  async adjust(): Promise<number> {
    await this.adjustImpl();
    const elapsed = this.elapsed;
    this.anchor.reset();
    this.pendingOffset = 0;
    return elapsed;
  }
}

/** Waits with pamiq {@link TimeController.sleep} (which returns at once while paused). */
export class SleepIntervalAdjustor extends IntervalAdjustor {
  protected async adjustImpl(): Promise<void> {
    const remaining = this.timeToWait - this.elapsed;
    if (remaining > 0) await this.clock.sleep(remaining);
  }
}
