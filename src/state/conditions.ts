/**
 * Save conditions: any `() => boolean` polled by the control loop. True means "save now".
 */
import { TimeAnchor } from '../time/anchor.js';

export type SaveCondition = () => boolean;

/**
 * True once every time more than `interval` seconds of pamiq time have passed since the last true
 * (or since the first call). The anchor is taken at the first call, not at construction, and is
 * carried across clock restores (TimeAnchor), so a condition built before a state was loaded is not
 * skewed by the restored time.
 *
 * Usable directly where a condition is expected: launch accepts the instance itself
 * (`saveStateCondition: new PeriodicSaveCondition(300)`); {@link asFunction} gives a plain function.
 */
export class PeriodicSaveCondition {
  private readonly anchor = new TimeAnchor('time');

  /** @throws RangeError unless `interval` is a finite number > 0. */
  constructor(readonly interval: number) {
    if (!(Number.isFinite(interval) && interval > 0)) {
      throw new RangeError(`PeriodicSaveCondition interval must be a finite number of seconds > 0, got ${interval}`);
    }
  }

  /** Polls the condition. */
  check(): boolean {
    if (this.anchor.elapsed() > this.interval) {
      this.anchor.reset();
      return true;
    }
    return false;
  }

  /** The condition as a plain function. */
  asFunction(): SaveCondition {
    return () => this.check();
  }
}

/** A save condition as launch accepts it: a function or an object with `check()`. */
export type SaveConditionLike = SaveCondition | { check(): boolean };

/** Normalizes a {@link SaveConditionLike}; @throws TypeError for anything else. */
export function toSaveCondition(value: SaveConditionLike): SaveCondition {
  if (typeof value === 'function') return value;
  if (value && typeof (value as { check?: unknown }).check === 'function') {
    return () => (value as { check(): boolean }).check();
  }
  throw new TypeError('saveStateCondition must be a function returning a boolean or an object with check()');
}
