/**
 * launch(): wires an interaction, models, buffers and trainers into a running system with state
 * persistence, runs the inference and training loops until shutdown, and makes the final save.
 */
import { backend, engine } from '../backend/select.js';
import { getLogger } from '../log.js';
import { StatesDirLock } from '../state/lock.js';
import { DEFAULT_STATE_NAME_PATTERN } from '../state/names.js';
import { latestState } from '../state/scan.js';
import type { LaunchRemote } from '../remote/launch.js';
import { LatestStatesKeeper } from '../state/keeper.js';
import * as clock from '../time/index.js';
import { importTraining, trainingModuleUrl, type TrainingModule } from '../runtime/definition.js';
import { buildTraining, mainSystem, type RunningSystem, type Threading, workerSystem } from '../runtime/system.js';
import type { TrainingStats } from '../runtime/protocol.js';
import { LaunchConfigError, resolveLaunchConfig, type LaunchConfig } from './config.js';
import { ControlLoop, type SaveRecord, type ShutdownReason } from './control.js';
import { EventLoopRunner } from './loop.js';
import { StepTimeStatistics } from './stats.js';
import type { SystemComponents } from './wiring.js';
import { setLogFormat } from '../log.js';
import { FixedIntervalInteraction } from '../interaction/fixed-interval-interaction.js';
import { startOperations, type Operations } from '../ops/index.js';
import { NO_OBSERVER } from '../ops/observer.js';

const log = getLogger('launch');

export interface LaunchOptions extends SystemComponents {
  /**
   * The training side as a module (a path relative to the working directory, or a file: URL) whose
   * default export is `defineTraining({ models, buffers, trainers })`. It runs in a training worker
   * thread unless `config.threading` is `'main'`. Give either this or `models`/`buffers`/`trainers`
   * instances (which always run on the main thread).
   */
  training?: TrainingModule;
  /** Passed to the training module's factories (structured-cloned into the worker). */
  trainingOptions?: unknown;
  config?: LaunchConfig;
}

export interface LaunchResult {
  reason: ShutdownReason;
  /** Where training ran. */
  threading: Threading;
  /** The state loaded at start, if any. */
  loadedStatePath: string | undefined;
  /** Every state committed while running, final save last. */
  savedStates: SaveRecord[];
  finalStatePath: string | undefined;
  /** Saves that failed (logged; the system kept running), the final one included. */
  failedSaves: unknown[];
  /**
   * Why the final save failed or was not made (a training worker that died), else undefined: then
   * `finalStatePath` is undefined and the newest state on disk is an earlier one.
   */
  finalSaveError: unknown;
  /** Training runs per trainer, in either threading mode. */
  trainingRuns: TrainingStats;
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
  const promise = run(
    options,
    system,
    (o) => (operations = o),
    (c) => {
      control = c;
      for (const w of early.saves.splice(0)) c.requestSave().then(w.resolve, w.reject);
      if (early.shutdown) c.requestShutdown('request');
    },
  );
  // A launch that fails before its control loop exists cannot serve early save requests.
  promise.catch((err) => {
    for (const w of early.saves.splice(0)) w.reject(err);
  });
  return Object.assign(promise, { system });
}

async function run(
  options: LaunchOptions,
  systemControl: SystemControl,
  onOperations: (o: Operations) => void,
  onControl: (c: ControlLoop) => void,
): Promise<LaunchResult> {
  const config = resolveLaunchConfig(options.config);
  const threading = resolveThreading(options, config.threading);
  const { interaction } = options;
  const storeOptions = { statesDir: config.statesDir, stateNameFormat: config.stateNameFormat };
  const trainingUrl = options.training === undefined ? undefined : trainingModuleUrl(options.training);
  if (config.logFormat !== undefined) setLogFormat(config.logFormat);
  let ops: Operations | undefined;
  let observer = NO_OBSERVER;

  log.info(`Setting up state persistence in directory: ${config.statesDir}`);
  // Instances are wired before the lock is taken, so that a wiring error comes first.
  let system: RunningSystem | undefined =
    trainingUrl === undefined ? mainSystem(options as SystemComponents, storeOptions) : undefined;

  const lock = StatesDirLock.acquire(config.statesDir);
  const restoreScale = clock.getTimeScale();
  let setupDone = false;
  let control: ControlLoop | undefined;
  let remote: LaunchRemote | undefined;
  config.statesKeeper?.useStatesDir(config.statesDir);
  let loadedStatePath: string | undefined;
  let finalSaveError: unknown;
  const signals = config.handleSignals
    ? installSignalHandlers(() => control)
    : Object.assign(() => undefined, { pending: () => false });
  try {
    if (system === undefined) {
      if (threading === 'worker') {
        log.info('Starting the training worker');
        system = await workerSystem({
          interaction,
          module: trainingUrl!,
          options: options.trainingOptions,
          storeOptions,
          statsInterval: config.logTickTimeStatisticsInterval,
          nice: config.trainingNice,
        });
      } else {
        const def = await importTraining(trainingUrl!);
        system = mainSystem({ interaction, ...(await buildTraining(def, options.trainingOptions)) }, storeOptions);
      }
    }
    const running = system;
    control = new ControlLoop(running.store, config, config.statesKeeper, {
      afterCommit: (path) => remote?.afterCommit(path),
    });
    if (signals.pending()) control.requestShutdown('signal');
    const leftovers = await engine().removeLeftovers(config.statesDir);
    if (leftovers.length) log.info(`Removed leftovers of interrupted saves or removals: ${leftovers.join(', ')}`);

    if (config.remote) {
      const { openLaunchRemote } = await import('../remote/launch.js'); // the S3 client loads only when used
      remote = await openLaunchRemote(
        config.remote,
        config.statesDir,
        config.statesKeeper,
        statePattern(config.statesKeeper),
      );
    }
    loadedStatePath = await resolveSavedState(config.savedStatePath, config.statesDir, config.statesKeeper, remote);
    if (loadedStatePath !== undefined) {
      log.info(`Loading state from '${loadedStatePath}'`);
      await running.store.loadState(loadedStatePath, { partial: config.partialLoad });
      config.statesKeeper?.protect(loadedStatePath);
    }

    log.info(`Setting time scale to ${config.timeScale}`);
    clock.setTimeScale(config.timeScale);
    log.info(`Launching AMI system... (backend: ${backend().name}, training on the ${threading} thread)`);

    await interaction.setup();
    setupDone = true;
    const targetPeriod = interaction instanceof FixedIntervalInteraction ? interaction.adjustor.interval : undefined;
    const stats = new StepTimeStatistics(config.logTickTimeStatisticsInterval, getLogger('launch.inference'));
    const inference = new EventLoopRunner('inference', {
      step: async () => {
        running.beforeStep();
        await interaction.step();
        running.afterStep();
        stats.record();
        observer.onStep('inference', targetPeriod);
      },
      onPaused: () => interaction.onPaused(),
      onResumed: () => interaction.onResumed(),
    });
    const training = running.training;
    running.onTrainingRun((name, seconds, bufferSizes) => {
      observer.onTrainingRun(name, seconds);
      for (const [b, size] of bufferSizes) observer.bufferSize(b, size);
    });
    control.attachLoops([inference, training]);
    onControl(control);
    ops = await startOperations({
      config,
      system: systemControl,
      info: () => ({ loadedStatePath: loadedStatePath ?? null, threading }),
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
    control?.requestShutdown('error');
    await finish(false);
    throw err;
  }
  const finalPath = await finish(true);
  if (control.error !== undefined) throw control.error;
  return {
    reason: control.reason ?? 'request',
    threading,
    loadedStatePath,
    savedStates: control.saved,
    finalStatePath: finalPath,
    failedSaves: control.failedSaves,
    finalSaveError,
    trainingRuns: system!.trainingStats(),
  };

  async function finish(started: boolean): Promise<string | undefined> {
    let finalPath: string | undefined;
    try {
      const blocked = system?.finalSaveBlocked;
      if (started && control && blocked) {
        finalSaveError = blocked;
        log.error(`No final save: ${blocked.message}`);
        control.settleWaiting(undefined, blocked);
      } else if (started && control && system) {
        const outcome = await control.finalSave();
        finalPath = outcome.path;
        if (outcome.path === undefined) finalSaveError = outcome.error;
      }
      control?.settleWaiting(undefined);
      if (setupDone) await interaction.teardown();
    } finally {
      await ops?.close().catch((err: unknown) => log.error(`Closing the web API failed: ${String(err)}`));
      await system?.close().catch((err) => log.error(`Ending the training worker failed: ${String(err)}`));
      await remote?.close().catch((err: unknown) => log.error(`Closing the remote failed: ${String(err)}`));
      clock.setTimeScale(restoreScale);
      signals();
      lock.release();
    }
    return finalPath;
  }
}

/**
 * The threading mode: the configured one, else `'worker'` for a training module and `'main'` for
 * component instances.
 * @throws LaunchConfigError when a module and instances are both given, or instances with `'worker'`.
 */
function resolveThreading(options: LaunchOptions, configured: Threading | undefined): Threading {
  const given = options as unknown as Record<string, unknown>;
  const instances = ['models', 'buffers', 'trainers'].filter((k) => given[k] !== undefined);
  if (options.training !== undefined && instances.length) {
    throw new LaunchConfigError([
      `give the training side either as a module (training) or as instances (${instances.join(', ')}), not both`,
    ]);
  }
  if (options.training === undefined) {
    if (configured === 'worker') {
      throw new LaunchConfigError([
        "threading 'worker' needs the training side as a module (launch({ training: './training.ts' })): " +
          'component instances cannot move to another thread',
      ]);
    }
    return 'main';
  }
  return configured ?? 'worker';
}

const statePattern = (keeper: unknown) =>
  keeper instanceof LatestStatesKeeper ? keeper.stateNamePattern : DEFAULT_STATE_NAME_PATTERN;

async function resolveSavedState(
  saved: string | undefined,
  statesDir: string,
  keeper: unknown,
  remote?: LaunchRemote,
): Promise<string | undefined> {
  if (saved !== 'latest') return saved;
  const pattern = statePattern(keeper);
  const latest = remote ? await remote.resolveLatest(statesDir, pattern) : await latestState(statesDir, pattern);
  if (latest === undefined) log.info(`No valid saved state in '${statesDir}'; starting fresh.`);
  return latest;
}

/**
 * SIGINT/SIGTERM → graceful shutdown; a second signal during the final save only warns (the save is
 * atomic). Installed before the system starts: a signal during start-up shuts it down once started.
 */
function installSignalHandlers(control: () => ControlLoop | undefined): (() => void) & { pending(): boolean } {
  let early = false;
  const handler = (signal: NodeJS.Signals) => {
    const c = control();
    if (c?.isShuttingDown || (!c && early)) {
      log.warn(`${signal} received again; the final save is running (a kill now loses only this save).`);
      return;
    }
    log.info(`${signal} received.`);
    if (c) c.requestShutdown('signal');
    else early = true; // still starting: shut down as soon as the control loop exists
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  const uninstall = () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
  return Object.assign(uninstall, { pending: () => early });
}
