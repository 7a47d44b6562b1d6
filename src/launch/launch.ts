/**
 * launch(): wires an interaction, models, buffers and trainers into a running system with state
 * persistence, runs the inference and training loops until shutdown, and makes the final save.
 */
import { backend, engine } from '../backend/select.js';
import { getLogger } from '../log.js';
import { StatesDirLock } from '../state/lock.js';
import { DEFAULT_STATE_NAME_PATTERN } from '../state/names.js';
import { latestState } from '../state/scan.js';
import { LatestStatesKeeper } from '../state/keeper.js';
import * as clock from '../time/index.js';
import { TrainersDict } from '../trainer/trainers-dict.js';
import { resolveLaunchConfig, type LaunchConfig } from './config.js';
import { ControlLoop, type SaveRecord, type ShutdownReason } from './control.js';
import { EventLoopRunner } from './loop.js';
import { StepTimeStatistics } from './stats.js';
import { wireSystem, type SystemComponents } from './wiring.js';
import { setLogFormat } from '../log.js';
import { namedEntries } from '../data/named.js';
import { FixedIntervalInteraction } from '../interaction/fixed-interval-interaction.js';
import { NO_OBSERVER, startOperations, type Operations } from '../ops/index.js';
import { stateBytes } from './control.js';

const log = getLogger('launch');

export interface LaunchOptions extends SystemComponents {
  config?: LaunchConfig;
}

export interface LaunchResult {
  reason: ShutdownReason;
  /** The state loaded at start, if any. */
  loadedStatePath: string | undefined;
  /** Every state committed while running, final save last. */
  savedStates: SaveRecord[];
  finalStatePath: string | undefined;
  /** Saves that failed (logged; the system kept running). */
  failedSaves: unknown[];
}

/** Commands for a running system. */
export interface SystemControl {
  /** Pauses both loops and the clock; resolves false if the loops did not pause in time. */
  pause(): Promise<boolean>;
  resume(): void;
  /**
   * Requests a save, coalesced with other requests whose save has not started yet. Resolves with the
   * path of the state that serves the request (captured after it was made), or rejects with the
   * SaveError of that save; requests still open at shutdown are served by the final save.
   */
  saveState(): Promise<string>;
  shutdown(): void;
  readonly paused: boolean;
  /** True once shutdown was requested (by any means). */
  readonly shuttingDown: boolean;
  /** `http://host:port` of the web API once it listens; undefined when disabled or not (yet) listening. */
  readonly webApiUrl: string | undefined;
}

export type LaunchedSystem = Promise<LaunchResult> & { system: SystemControl };

/**
 * Starts the system and returns a Promise that settles at shutdown (max uptime, SIGINT/SIGTERM,
 * `system.shutdown()`, or an exception in a loop), with a `system` property to control it meanwhile.
 *
 * Order: validate config → wire components → lock statesDir → remove leftovers of interrupted saves →
 * load the saved state (verified before anything is touched) → set the time scale → setup → loops →
 * … → stop the loops at a step boundary → final save (handed to the keeper) → teardown → unlock.
 *
 * @throws LaunchConfigError (rejects) for an invalid config, before anything starts;
 *   StatesDirLockedError when another live process uses statesDir; the load's errors
 *   (StateNotFoundError, StateCorruptError, StateMismatchError, …) before any loop starts;
 *   the first exception of a loop, after the final save.
 */
export function launch(options: LaunchOptions): LaunchedSystem {
  let control: ControlLoop | undefined;
  // Commands given before the control loop exists (launch is still loading): replayed once it does.
  const early: { saves: { resolve(p: string): void; reject(e: unknown): void }[]; shutdown: boolean } = {
    saves: [],
    shutdown: false,
  };
  const system: SystemControl = {
    async pause() {
      if (!control) return false;
      return control.tryPause();
    },
    resume() {
      control?.resume();
    },
    saveState() {
      if (control) return control.requestSave();
      return new Promise<string>((resolve, reject) => early.saves.push({ resolve, reject }));
    },
    shutdown() {
      if (control) control.requestShutdown('request');
      else early.shutdown = true;
    },
    get paused() {
      return control?.isPaused ?? false;
    },
    get shuttingDown() {
      return control?.isShuttingDown ?? early.shutdown;
    },
    get webApiUrl() {
      return operations?.url;
    },
  };
  let operations: Operations | undefined;
  const promise = run(options, system, (o) => (operations = o), (c) => {
    control = c;
    for (const w of early.saves.splice(0)) c.requestSave().then(w.resolve, w.reject);
    if (early.shutdown) c.requestShutdown('request');
  });
  // A launch that fails before its control loop exists cannot serve early save requests.
  promise.catch((err) => {
    for (const w of early.saves.splice(0)) w.reject(err);
  });
  return Object.assign(promise, { system });
}

async function run(
  options: LaunchOptions,
  system: SystemControl,
  onOperations: (o: Operations) => void,
  onControl: (c: ControlLoop) => void,
): Promise<LaunchResult> {
  const config = resolveLaunchConfig(options.config);
  const { interaction } = options;
  if (config.logFormat !== undefined) setLogFormat(config.logFormat);
  let ops: Operations | undefined;
  let observer = NO_OBSERVER;

  log.info(`Setting up state persistence in directory: ${config.statesDir}`);
  const { trainers, store } = wireSystem(options, {
    statesDir: config.statesDir,
    stateNameFormat: config.stateNameFormat,
  });

  const lock = StatesDirLock.acquire(config.statesDir);
  const restoreScale = clock.getTimeScale();
  let setupDone = false;
  const control = new ControlLoop(store, config, config.statesKeeper);
  let loadedStatePath: string | undefined;
  const signals = config.handleSignals ? installSignalHandlers(control) : () => undefined;
  try {
    const leftovers = await engine().removeLeftovers(config.statesDir);
    if (leftovers.length) log.info(`Removed leftovers of interrupted saves or removals: ${leftovers.join(', ')}`);

    loadedStatePath = await resolveSavedState(config.savedStatePath, config.statesDir, config.statesKeeper);
    if (loadedStatePath !== undefined) {
      log.info(`Loading state from '${loadedStatePath}'`);
      await store.loadState(loadedStatePath, { partial: config.partialLoad });
      config.statesKeeper?.protect(loadedStatePath);
    }

    log.info(`Setting time scale to ${config.timeScale}`);
    clock.setTimeScale(config.timeScale);
    log.info(`Launching AMI system... (backend: ${backend().name})`);

    await interaction.setup();
    setupDone = true;
    const targetPeriod = interaction instanceof FixedIntervalInteraction ? interaction.adjustor.interval : undefined;
    const stats = new StepTimeStatistics(config.logTickTimeStatisticsInterval, getLogger('launch.inference'));
    const inference = new EventLoopRunner('inference', {
      step: async () => {
        await interaction.step();
        stats.record();
        observer.onStep('inference', targetPeriod);
      },
      onPaused: () => interaction.onPaused(),
      onResumed: () => interaction.onResumed(),
    });
    const buffers = namedEntries(options.buffers);
    const training = new EventLoopRunner('training', trainingBody(trainers, (name, seconds) => {
      observer.onTrainingRun(name, seconds);
      for (const [b, buffer] of buffers) observer.bufferSize(b, buffer.length);
    }));
    control.attachLoops([inference, training]);
    onControl(control);
    ops = await startOperations({
      config,
      system,
      info: () => ({ loadedStatePath: loadedStatePath ?? null }),
    });
    observer = control.observer = ops.observer;
    onOperations(ops);
    inference.start();
    training.start();

    await control.run();

    // Stop at a step boundary; the final save happens before teardown so components can still serialize.
    inference.stop();
    training.stop();
    await Promise.allSettled([inference.done, training.done]);
    if (control.isPaused) control.resume();
    await control.settled();
  } catch (err) {
    control.requestShutdown('error');
    await finish(false);
    throw err;
  }
  const finalPath = await finish(true);
  if (control.error !== undefined) throw control.error;
  return {
    reason: control.reason ?? 'request',
    loadedStatePath,
    savedStates: control.saved,
    finalStatePath: finalPath,
    failedSaves: control.failedSaves,
  };

  async function finish(started: boolean): Promise<string | undefined> {
    let finalPath: string | undefined;
    try {
      if (started) {
        log.info('Saving final system state');
        const begin = performance.now();
        observer.onSaveStart(true);
        try {
          finalPath = await store.saveState();
          control.saved.push({ path: finalPath, pausedMs: performance.now() - begin, totalMs: performance.now() - begin });
          if (observer !== NO_OBSERVER) {
            const ms = performance.now() - begin;
            observer.onSave({ ok: true, final: true, path: finalPath, durationMs: ms, phases: {}, bytes: await stateBytes(finalPath) });
          }
          log.info(`Final state saved to '${finalPath}'`);
          control.settleWaiting(finalPath);
          await control.afterCommit(finalPath);
        } catch (err) {
          control.failedSaves.push(err);
          observer.onSave({ ok: false, final: true, error: String(err), durationMs: performance.now() - begin, phases: {} });
          control.settleWaiting(undefined, err);
          log.error(`The final save failed; the earlier states are intact. ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      control.settleWaiting(undefined);
      if (setupDone) await interaction.teardown();
    } finally {
      await ops?.close().catch((err: unknown) => log.error(`Closing the web API failed: ${String(err)}`));
      clock.setTimeScale(restoreScale);
      signals();
      lock.release();
    }
    return finalPath;
  }
}

function trainingBody(trainers: TrainersDict, onRun: (name: string, seconds: number) => void = () => undefined) {
  const names = () => [...trainers.keys()];
  let index = 0;
  let idleRound = 0;
  return {
    async step() {
      const list = names();
      if (list.length === 0) return 'idle';
      const name = list[index % list.length]!;
      index = (index + 1) % list.length;
      const begin = performance.now();
      const trained = await trainers.get(name)!.run();
      if (trained) {
        idleRound = 0;
        onRun(name, (performance.now() - begin) / 1000);
        getLogger('launch.training').debug(`Trained ${name} in ${((performance.now() - begin) / 1000).toFixed(2)} seconds`);
        return undefined;
      }
      idleRound++;
      return idleRound >= list.length ? 'idle' : undefined;
    },
    onPaused: () => trainers.onPaused(),
    onResumed: () => trainers.onResumed(),
  };
}

async function resolveSavedState(
  saved: string | undefined,
  statesDir: string,
  keeper: unknown,
): Promise<string | undefined> {
  if (saved !== 'latest') return saved;
  const pattern = keeper instanceof LatestStatesKeeper ? keeper.stateNamePattern : DEFAULT_STATE_NAME_PATTERN;
  const latest = await latestState(statesDir, pattern);
  if (latest === undefined) log.info(`No valid saved state in '${statesDir}'; starting fresh.`);
  return latest;
}

/** SIGINT/SIGTERM → graceful shutdown; a second signal during the final save only warns (the save is atomic). */
function installSignalHandlers(control: ControlLoop): () => void {
  const handler = (signal: NodeJS.Signals) => {
    if (control.isShuttingDown) {
      log.warn(`${signal} received again; the final save is running (a kill now loses only this save).`);
      return;
    }
    log.info(`${signal} received.`);
    control.requestShutdown('signal');
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
