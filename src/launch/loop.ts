/**
 * A loop that calls `step()` until stopped, pausing only between steps. The launch runs the inference
 * and the training loop through this one small interface, so a loop can move to a worker thread
 * later without the control logic changing.
 */
import type { Clock } from '../time/clock.js';
import { globalClock } from '../time/global.js';

export interface LoopBody {
  /** One step. Returning `'idle'` means there was nothing to do: the loop backs off briefly. */
  step(): unknown;
  /** Called on the loop when it reaches a pause (between steps). */
  onPaused?(): unknown;
  /** Called on the loop when it leaves a pause. */
  onResumed?(): unknown;
}

export interface LoopRunner {
  readonly name: string;
  readonly paused: boolean;
  /** Settles when the loop exits: resolves after stop(), rejects with the error of a failed step. */
  readonly done: Promise<void>;
  start(): void;
  /** Asks the loop to pause at its next step boundary. */
  requestPause(): void;
  /** Resolves true once paused, false after `timeoutMs`. */
  waitPaused(timeoutMs: number): Promise<boolean>;
  /** Releases a pause (or a pending pause request). */
  resume(): void;
  /** Asks the loop to exit at its next step boundary (a pause is released first). */
  stop(): void;
}

/** How long an idle loop sleeps (real ms) before trying again: bounded CPU use, fast reaction. */
const IDLE_BACKOFF_MS = 2;

class Signal {
  private waiters: (() => void)[] = [];
  wait(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }
  fire(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}

/**
 * Runs the loop on the Node event loop, yielding to it after every step. The idle back-off and the
 * {@link waitPaused} timeout run on `clock` (the global time controller's clock by default).
 */
export class EventLoopRunner implements LoopRunner {
  private pauseRequested = false;
  private stopRequested = false;
  private isPausedNow = false;
  private exited = false;
  private readonly changed = new Signal();
  private resolveDone!: () => void;
  private rejectDone!: (err: unknown) => void;
  readonly done: Promise<void>;

  constructor(
    readonly name: string,
    private readonly body: LoopBody,
    private readonly clock: Clock = globalClock(),
  ) {
    this.done = new Promise<void>((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
    // A failure is reported to whoever awaits `done`; avoid an unhandled rejection until then.
    this.done.catch(() => undefined);
  }

  get paused(): boolean {
    return this.isPausedNow;
  }

  start(): void {
    void this.run()
      .finally(() => {
        this.exited = true;
        this.changed.fire();
      })
      .then(this.resolveDone, this.rejectDone);
  }

  requestPause(): void {
    this.pauseRequested = true;
  }

  async waitPaused(timeoutMs: number): Promise<boolean> {
    const deadline = this.clock.now() + timeoutMs;
    // A loop that has exited takes no more steps, which is all a pause promises.
    while (!this.isPausedNow && !this.exited) {
      const left = deadline - this.clock.now();
      if (left <= 0) return false;
      const ac = new AbortController();
      await Promise.race([this.changed.wait(), this.clock.sleep(left, { signal: ac.signal })]);
      ac.abort();
    }
    return true;
  }

  resume(): void {
    this.pauseRequested = false;
    this.changed.fire();
  }

  stop(): void {
    this.stopRequested = true;
    this.pauseRequested = false;
    this.changed.fire();
  }

  private async run(): Promise<void> {
    while (!this.stopRequested) {
      if (this.pauseRequested) {
        this.isPausedNow = true;
        await this.body.onPaused?.();
        this.changed.fire();
        while (this.pauseRequested && !this.stopRequested) await this.changed.wait();
        this.isPausedNow = false;
        await this.body.onResumed?.();
        this.changed.fire();
        continue;
      }
      const result = await this.body.step();
      if (result === 'idle') await this.clock.sleep(IDLE_BACKOFF_MS);
      else await new Promise<void>((r) => setImmediate(r));
    }
  }
}
