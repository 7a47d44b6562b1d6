/**
 * The control loop: owns pause, resume, save and shutdown of a launched system.
 *
 * Saves are two-phase: the loops are paused only while components capture their state; writing,
 * hashing, fsync and the commit run while the loops go on. At most one save is written at a time;
 * requests that arrive meanwhile are coalesced into one save that starts when the current one ends
 * (it would capture the same, later state anyway). A failed save is logged with its cause and never
 * stops the system; a failed pause keeps the request so the next tick tries again.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { getLogger } from '../log.js';
import type { StatesKeeper } from '../state/keeper.js';
import { StateNotDurableError } from '../state/errors.js';
import type { StateStore } from '../state/store.js';
import * as clock from '../time/index.js';
import type { Clock } from '../time/clock.js';
import { globalClock } from '../time/global.js';
import type { ResolvedLaunchConfig } from './config.js';
import type { LoopRunner } from './loop.js';
import { NO_OBSERVER, type OpsObserver } from '../ops/observer.js';

const log = getLogger('launch.control');

/** The message of an error (with its causes, which SaveError already folds in). */
const describe = (err: unknown) => (err instanceof Error ? err.message : String(err));

export type ShutdownReason = 'maxUptime' | 'signal' | 'request' | 'error';

export interface SaveRecord {
  path: string;
  /** Real milliseconds the loops were paused for the capture. */
  pausedMs: number;
  /** Real milliseconds from the request to the commit. */
  totalMs: number;
}

interface Waiter {
  resolve(path: string): void;
  reject(err: unknown): void;
}

export class ControlLoop {
  private loops: LoopRunner[] = [];
  /** Callers of requestSave() whose save has not begun its capture yet. */
  private waiting: Waiter[] = [];
  private pausedBySystem = false;
  private saveRequested = false;
  private inFlight: Promise<void> | undefined;
  private shutdownReason: ShutdownReason | undefined;
  private loopError: unknown;
  private startTime = 0;
  private wake: (() => void) | undefined;
  private keeperBusy = false;
  readonly saved: SaveRecord[] = [];
  readonly failedSaves: unknown[] = [];
  /** Told about every save and keeper removal (the operations layer's metrics and info). */
  observer: OpsObserver = NO_OBSERVER;

  constructor(
    private readonly store: StateStore,
    private readonly config: ResolvedLaunchConfig,
    private readonly keeper: StatesKeeper | undefined,
    /** Told about every committed state (uploads it in the background). */
    private readonly remote?: { afterCommit(path: string): void },
    /** The real time the control interval waits on (save durations are always measured in real time). */
    private readonly realTime: Clock = globalClock(),
  ) {}

  attachLoops(loops: LoopRunner[]): void {
    this.loops = loops;
    for (const loop of loops) {
      loop.done.catch((err) => {
        if (this.loopError === undefined) this.loopError = err;
        log.error(
          `An exception occurred in the '${loop.name}' loop. The system will terminate immediately. ${describe(err)}`,
        );
        this.requestShutdown('error');
      });
    }
  }

  get isPaused(): boolean {
    return this.pausedBySystem;
  }

  get isShuttingDown(): boolean {
    return this.shutdownReason !== undefined;
  }

  get error(): unknown {
    return this.loopError;
  }

  get reason(): ShutdownReason | undefined {
    return this.shutdownReason;
  }

  /**
   * Pauses both loops at their step boundaries, with the configured timeout and retries; then pauses
   * the clock. @returns false when the loops did not all pause (they are resumed again).
   * @param level the level of the progress lines: `info` for an explicit pause request (PAMIQ-Core's
   *   lines), `debug` for the pause around each save (routine, not worth a line at the default level).
   *   Timeouts and failure are logged as warnings and errors either way.
   */
  async tryPause(level: 'info' | 'debug' = 'info'): Promise<boolean> {
    if (this.pausedBySystem) {
      log[level]('System has already been paused.');
      return true;
    }
    const attempts = this.config.maxAttemptsToPauseAllThreads;
    const timeout = this.config.timeoutForAllThreadsPause;
    log[level]('Trying to pause...');
    for (let i = 1; i <= attempts; i++) {
      for (const loop of this.loops) loop.requestPause();
      const ok = await Promise.all(this.loops.map((l) => l.waitPaused(timeout * 1000)));
      if (ok.every(Boolean)) {
        log[level]('Success to pause all loops.');
        clock.pause();
        this.pausedBySystem = true;
        return true;
      }
      this.loops.forEach((l, j) => {
        if (!ok[j]) log.warn(`Timeout waiting for the '${l.name}' loop to pause after ${timeout} seconds.`);
      });
      log.warn(`Failed to pause the loops in timeout ${timeout} seconds.`);
      log.warn(`Attempting retry ${i} / ${attempts} ...`);
      for (const loop of this.loops) loop.resume();
      if (this.isShuttingDown) break;
    }
    log.error('Failed to pause... ');
    return false;
  }

  /** Resumes the clock, then the loops. @param level as for {@link tryPause}. */
  resume(level: 'info' | 'debug' = 'info'): void {
    if (!this.pausedBySystem) return;
    log[level]('Resuming...');
    clock.resume();
    this.pausedBySystem = false;
    for (const loop of this.loops) loop.resume();
  }

  /**
   * Requests a save; coalesced with any request whose save has not started its capture yet.
   * @returns the path of the state that serves this request (captured after the request was made);
   *   rejects with the save's error when that save fails.
   */
  requestSave(): Promise<string> {
    const served = new Promise<string>((resolve, reject) => this.waiting.push({ resolve, reject }));
    this.saveRequested = true;
    this.wake?.();
    return served;
  }

  /**
   * Hands the requests still waiting to a save made outside the loop (the final save): `path` when it
   * succeeded, `err` when it failed or never happened.
   */
  settleWaiting(path: string | undefined, err?: unknown): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const w of waiting) {
      if (path !== undefined) w.resolve(path);
      else w.reject(err ?? new Error('The system shut down before the requested save could be made'));
    }
  }

  requestShutdown(reason: ShutdownReason): void {
    if (this.shutdownReason !== undefined) return;
    this.shutdownReason = reason;
    log.info(`Shutting down (${reason})...`);
    this.wake?.();
  }

  /** Waits until the save in flight (if any) has finished. */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** Runs ticks until shutdown is requested. */
  async run(): Promise<void> {
    this.startTime = clock.time();
    const scale = clock.getTimeScale();
    log.info(
      `Maximum uptime is set to ${this.config.maxUptime} [secs]. (actually ${this.config.maxUptime / scale} [secs] in time scale x${scale})`,
    );
    while (!this.isShuttingDown) {
      this.tick();
      if (this.isShuttingDown) break;
      const ac = new AbortController();
      await Promise.race([
        this.realTime.sleep(this.config.controlInterval * 1000, { signal: ac.signal }),
        new Promise<void>((r) => (this.wake = r)),
      ]);
      ac.abort();
      this.wake = undefined;
    }
  }

  private tick(): void {
    try {
      if (this.config.saveStateCondition?.()) this.saveRequested = true;
    } catch (err) {
      log.error(`saveStateCondition threw; treating it as false: ${describe(err)}`);
    }
    if (this.saveRequested && !this.inFlight && !this.keeperBusy) void this.startSave();
    this.tickKeeper();
    if (!this.pausedBySystem && clock.time() - this.startTime > this.config.maxUptime) {
      log.info('Max uptime reached.');
      this.requestShutdown('maxUptime');
    }
  }

  /** Runs the keeper's cleanup when it asks for one, outside saves, one at a time. */
  private tickKeeper(): void {
    if (!this.keeper || this.inFlight || this.keeperBusy) return;
    let wanted = false;
    try {
      wanted = this.keeper.needsCleanup();
    } catch (err) {
      log.error(`The states keeper's needsCleanup() threw; treating it as false: ${describe(err)}`);
    }
    if (!wanted) return;
    this.keeperBusy = true;
    void this.keeper
      .cleanup()
      .catch((err) => log.error(`The states keeper failed; no state was removed by it this time. ${describe(err)}`))
      .finally(() => {
        this.keeperBusy = false;
      });
  }

  /** Pause → capture → resume, then the commit in the background. */
  private startSave(): Promise<void> {
    const run = (async () => {
      const requested = performance.now();
      const wasPaused = this.pausedBySystem;
      this.observer.onSaveStart();
      if (!(await this.tryPause('debug'))) {
        log.error('Failed to pause. The save stays requested and is retried on the next tick.');
        this.observer.onSave({
          ok: false,
          error: 'the loops did not pause',
          durationMs: performance.now() - requested,
          phases: {},
        });
        return;
      }
      this.saveRequested = false;
      const served = this.waiting; // requests made from here on wait for the next save
      this.waiting = [];
      const pauseStart = performance.now();
      let pending;
      try {
        pending = await this.store.capture();
      } catch (err) {
        this.failedSaves.push(err);
        this.observer.onSave({
          ok: false,
          error: describe(err),
          durationMs: performance.now() - requested,
          phases: {},
        });
        log.error(`Saving a state failed while capturing; earlier states are intact. ${describe(err)}`);
        for (const w of served) w.reject(err);
        return;
      } finally {
        if (!wasPaused) this.resume('debug');
      }
      const pausedMs = performance.now() - pauseStart;
      try {
        const commitStart = performance.now();
        const path = await pending.commit();
        this.saved.push({ path, pausedMs, totalMs: performance.now() - requested });
        this.observer.onSave({
          ok: true,
          path,
          durationMs: performance.now() - requested,
          phases: { pause: pauseStart - requested, capture: pausedMs, commit: performance.now() - commitStart },
          bytes: this.observer === NO_OBSERVER ? undefined : await stateBytes(path),
        });
        log.info(`Saved a state to '${path}' (loops paused ${pausedMs.toFixed(2)} ms)`);
        for (const w of served) w.resolve(path);
        await this.afterCommit(path);
      } catch (err) {
        this.failedSaves.push(err);
        this.observer.onSave({
          ok: false,
          error: describe(err),
          durationMs: performance.now() - requested,
          phases: {},
        });
        if (err instanceof StateNotDurableError) {
          // Committed but maybe not durable: the keeper learns about it (so it is protected and
          // counted) but removes nothing this time, so older durable states survive a power loss.
          log.error(`${describe(err)}. Older states are kept this time.`);
          for (const w of served) w.reject(err);
          try {
            this.keeper?.recordSaved(err.path);
          } catch (keeperErr) {
            log.error(`The states keeper failed to record '${err.path}'. ${describe(keeperErr)}`);
          }
          return;
        }
        log.error(`Saving a state failed; earlier states are intact and the system keeps running. ${describe(err)}`);
        for (const w of served) w.reject(err);
      }
    })();
    this.inFlight = run.finally(() => {
      this.inFlight = undefined;
      if (this.saveRequested && !this.isShuttingDown) this.wake?.();
    });
    return this.inFlight;
  }

  /**
   * The final save, made after the loops stopped: written directly (no pause needed), counted in
   * {@link saved} or {@link failedSaves}, reported to the observer, handed to the keeper and the
   * remote, and serving every request still waiting. A failure is logged, never thrown.
   * @returns the committed path, or the error of the save.
   */
  async finalSave(): Promise<{ path: string; error?: undefined } | { path?: undefined; error: unknown }> {
    log.info('Saving final system state');
    const begin = performance.now();
    this.observer.onSaveStart(true);
    let path: string;
    try {
      path = await this.store.saveState();
    } catch (err) {
      this.failedSaves.push(err);
      this.observer.onSave({
        ok: false,
        final: true,
        error: String(err),
        durationMs: performance.now() - begin,
        phases: {},
      });
      this.settleWaiting(undefined, err);
      log.error(`The final save failed; the earlier states are intact. ${describe(err)}`);
      return { error: err };
    }
    const ms = performance.now() - begin;
    this.saved.push({ path, pausedMs: ms, totalMs: ms });
    if (this.observer !== NO_OBSERVER) {
      this.observer.onSave({ ok: true, final: true, path, durationMs: ms, phases: {}, bytes: await stateBytes(path) });
    }
    log.info(`Final state saved to '${path}'`);
    this.settleWaiting(path);
    await this.afterCommit(path);
    return { path };
  }

  /** Queues a committed state for the remote, tells the keeper about it and lets it clean up. */
  async afterCommit(path: string): Promise<void> {
    this.remote?.afterCommit(path);
    if (!this.keeper) return;
    try {
      this.keeper.recordSaved(path);
      this.observer.onKeeperRemoval((await this.keeper.cleanup()).length);
    } catch (err) {
      log.error(`The states keeper failed; no state was removed by it this time. ${describe(err)}`);
    }
  }
}

/** Bytes of a committed state (its manifest's file sizes); undefined when the manifest cannot be read. */
export async function stateBytes(path: string): Promise<number | undefined> {
  try {
    const manifest = JSON.parse(await readFile(join(path, 'manifest.json'), 'utf8')) as { files?: { size: number }[] };
    return manifest.files?.reduce((sum, f) => sum + f.size, 0);
  } catch {
    return undefined;
  }
}
