/**
 * What a running system tells the operations layer: loop steps, training runs, saves, keeper removals
 * and buffer sizes. launch() and the control loop call these; the info recorder and the Prometheus
 * metrics implement them. Every method is cheap and never throws into the caller.
 */

export type SavePhase = 'pause' | 'capture' | 'commit';

export interface SaveReport {
  ok: boolean;
  /** The committed state (ok only). */
  path?: string;
  /** The error message (failed saves only). */
  error?: string;
  /** The save made at shutdown. */
  final?: boolean;
  /** Real milliseconds from the start of the save to its end. */
  durationMs: number;
  /** Real milliseconds per phase: waiting for the loops to pause, capture while paused, write+commit. */
  phases: Partial<Record<SavePhase, number>>;
  /** Bytes of the committed state (when known). */
  bytes?: number;
}

export interface OpsObserver {
  /**
   * A loop finished a step. `targetPeriodSec` (pamiq seconds) is the period the loop aims at, when it
   * has one; the period error is measured against it.
   */
  onStep(loop: string, targetPeriodSec?: number): void;
  /** A trainer ran (returned true) and took `seconds` of real time. */
  onTrainingRun(trainer: string, seconds: number): void;
  /** A save began (before pausing the loops). */
  onSaveStart(final?: boolean): void;
  /** A save ended, committed or failed. */
  onSave(report: SaveReport): void;
  /** The states keeper removed `count` states. */
  onKeeperRemoval(count: number): void;
  /** A buffer holds `size` items. */
  bufferSize(name: string, size: number): void;
}

/** An observer that ignores everything (the operations layer is disabled). */
export const NO_OBSERVER: OpsObserver = {
  onStep() {},
  onTrainingRun() {},
  onSaveStart() {},
  onSave() {},
  onKeeperRemoval() {},
  bufferSize() {},
};

/** Calls every observer; one that throws does not stop the others or the caller. */
export function fanOut(observers: OpsObserver[]): OpsObserver {
  const each =
    <K extends keyof OpsObserver>(k: K) =>
    (...args: Parameters<OpsObserver[K]>) => {
      for (const o of observers) {
        try {
          (o[k] as (...a: unknown[]) => void)(...args);
        } catch {
          // Observing must never disturb the system.
        }
      }
    };
  return {
    onStep: each('onStep'),
    onTrainingRun: each('onTrainingRun'),
    onSaveStart: each('onSaveStart'),
    onSave: each('onSave'),
    onKeeperRemoval: each('onKeeperRemoval'),
    bufferSize: each('bufferSize'),
  };
}
