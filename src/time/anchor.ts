/**
 * A point on a pamiq clock, for anything that measures "time since X" (schedulers, periodic save
 * conditions, interval adjustors).
 *
 * The rule (fixing the original's skew after a load): an anchor is taken lazily, at the first call
 * that needs it, and an anchor taken before a clock restore ({@link TimeController.loadStateDict}) is
 * shifted by the jump the restore made. Elapsed time therefore counts only the pamiq time that passed
 * in this process since the anchor, never the down-time skipped (or the time added) by a load.
 */
import type { ClockName, TimeController } from './controller.js';
import { getGlobalTimeController } from './global.js';

export class TimeAnchor {
  private value: number | undefined;
  private shiftAtAnchor = 0;

  constructor(
    readonly clock: ClockName = 'time',
    /** The clock's owner; the global controller (looked up at each use) by default. */
    private readonly owner?: TimeController,
  ) {}

  private get controller(): TimeController {
    return this.owner ?? getGlobalTimeController();
  }

  private now(): number {
    return this.controller[this.clock]();
  }

  /** Whether an anchor has been taken. */
  get isSet(): boolean {
    return this.value !== undefined;
  }

  /** Anchors at now; returns the reading. */
  reset(): number {
    this.value = this.now();
    this.shiftAtAnchor = this.controller.loadShift(this.clock);
    return this.value;
  }

  /** Forgets the anchor, so the next {@link elapsed} anchors again. */
  clear(): void {
    this.value = undefined;
  }

  /** The anchor's reading in today's timeline (after the shifts of later loads); undefined until set. */
  get at(): number | undefined {
    if (this.value === undefined) return undefined;
    return this.value + (this.controller.loadShift(this.clock) - this.shiftAtAnchor);
  }

  /** Seconds of pamiq time since the anchor; anchors now (and returns 0) when none was taken. */
  elapsed(): number {
    const at = this.at;
    if (at === undefined) {
      this.reset();
      return 0;
    }
    return this.now() - at;
  }
}
