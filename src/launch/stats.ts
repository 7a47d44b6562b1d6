/**
 * Step-time statistics of the inference loop: wall-clock intervals between steps, logged every
 * `interval` seconds of pamiq time as `Step time: <mean> ± <stdev> [s] in <N> steps.`
 */
import type { Logger } from '../log.js';
import { time } from '../time/index.js';

export class StepTimeStatistics {
  private last: number | undefined;
  private sum = 0;
  private sumSq = 0;
  private count = 0;
  private lastLog: number | undefined;

  constructor(
    private readonly interval: number,
    private readonly log: Logger,
  ) {}

  /** Records one step; logs and resets when the interval has passed. */
  record(): void {
    const now = performance.now() / 1000;
    if (this.last !== undefined) {
      const dt = now - this.last;
      this.sum += dt;
      this.sumSq += dt * dt;
      this.count++;
    }
    this.last = now;
    const t = time();
    this.lastLog ??= t;
    if (t - this.lastLog >= this.interval && this.count > 0) {
      const mean = this.sum / this.count;
      // A single sample has no spread: report 0 rather than failing (the original raised here).
      const variance = this.count > 1 ? Math.max(0, (this.sumSq - this.count * mean * mean) / (this.count - 1)) : 0;
      this.log.info(
        `Step time: ${mean.toExponential(3)} ± ${Math.sqrt(variance).toExponential(3)} [s] in ${this.count} steps.`,
      );
      this.sum = this.sumSq = this.count = 0;
      this.lastLog = t;
    }
  }
}
