/**
 * The body of the training loop, the same in both threading modes: the trainers take turns (round
 * robin); a pass in which none was trainable makes the loop idle briefly.
 */
import { getLogger } from '../log.js';
import type { TrainersDict } from '../trainer/trainers-dict.js';
import type { LoopBody } from '../launch/loop.js';
import type { TrainingStats } from './protocol.js';

/** Per-trainer counts kept by {@link trainingBody}. */
export interface TrainerRuns {
  runs: number;
  lastRunSeconds: number | undefined;
  /** Real time (ms since the epoch) the last run ended. */
  lastRunAt: number | undefined;
}

/** The runs of every trainer of `trainers` so far, from a {@link trainingBody}'s counts. */
export function trainingStatsOf(trainers: TrainersDict, counts: Map<string, TrainerRuns>): TrainingStats {
  let runs = 0;
  const list = [...trainers.keys()].map((name) => {
    const c = counts.get(name);
    runs += c?.runs ?? 0;
    return { name, runs: c?.runs ?? 0, lastRunSeconds: c?.lastRunSeconds, lastRunAt: c?.lastRunAt };
  });
  return { runs, trainers: list };
}

/**
 * @param onRun called after every training run with the trainer's name and the run's real seconds.
 */
export function trainingBody(
  trainers: TrainersDict,
  onRun: (name: string, seconds: number) => void = () => undefined,
): LoopBody & { readonly counts: Map<string, TrainerRuns> } {
  const log = getLogger('launch.training');
  const names = () => [...trainers.keys()];
  const counts = new Map<string, TrainerRuns>();
  const logged = new Map<string, { at: number; skipped: number }>();
  let index = 0;
  let idleRound = 0;
  return {
    counts,
    async step() {
      const list = names();
      if (list.length === 0) return 'idle';
      const name = list[index % list.length]!;
      index = (index + 1) % list.length;
      const begin = performance.now();
      const trained = await trainers.get(name)!.run();
      if (trained) {
        idleRound = 0;
        const seconds = (performance.now() - begin) / 1000;
        const c = counts.get(name) ?? { runs: 0, lastRunSeconds: undefined, lastRunAt: undefined };
        c.runs++;
        c.lastRunSeconds = seconds;
        c.lastRunAt = Date.now();
        counts.set(name, c);
        onRun(name, seconds);
        // As the original, one INFO line per run — at most one per trainer per second, with a count of
        // the runs in between, so that a fast trainer does not flood the log.
        const last = logged.get(name);
        if (last === undefined || c.lastRunAt - last.at >= 1000) {
          const more = last?.skipped ? ` (${last.skipped} more runs since the last line)` : '';
          log.info(`Trained ${name} in ${seconds.toFixed(2)} seconds${more}`);
          logged.set(name, { at: c.lastRunAt, skipped: 0 });
        } else {
          last.skipped++;
        }
        return undefined;
      }
      idleRound++;
      return idleRound >= list.length ? 'idle' : undefined;
    },
    onPaused: () => trainers.onPaused(),
    onResumed: () => trainers.onResumed(),
  };
}
