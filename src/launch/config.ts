/**
 * LaunchConfig: the settings of {@link launch}, with the original's defaults, validated as a whole
 * before anything starts.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { toSaveCondition, type SaveCondition, type SaveConditionLike } from '../state/conditions.js';
import { LatestStatesKeeper, StatesKeeper } from '../state/keeper.js';
import { checkRemoteConfig, type RemoteConfig, type ResolvedRemoteConfig } from '../remote/config.js';
import { DEFAULT_STATE_NAME_FORMAT, formatStateName, nameMatcher, nowNs } from '../state/names.js';
import { DEFAULT_STATES_DIR, resolveStatesDir } from '../state/statesdir.js';
import {
  TOKEN_ENV,
  defaultApiAddress,
  formatAddress,
  isLoopback,
  parseApiAddress,
  type ApiAddress,
  type ApiAddressLike,
} from '../ops/address.js';
import type { LogFormat } from '../log.js';

export interface LaunchConfig {
  /** Where states are written. Default `./states`. */
  statesDir?: string;
  /** strftime-style state name in UTC. Default `%Y-%m-%d_%H-%M-%S,%f.state`. */
  stateNameFormat?: string;
  /** A state to load before starting, or `"latest"` for the newest valid state in statesDir (none: start fresh). */
  savedStatePath?: string;
  /** Load a state whose components differ from the system's, loading those both have. Default false. */
  partialLoad?: boolean;
  /** Polled by the control loop; true → save. Default: never (only the final save). */
  saveStateCondition?: SaveConditionLike;
  /** Retention policy, told about every committed state. Default: keep everything. */
  statesKeeper?: StatesKeeper;
  /** Seconds to wait for both loops to pause, per attempt. Default 60. */
  timeoutForAllThreadsPause?: number;
  /** Pause attempts before a save or pause request gives up. Default 3. */
  maxAttemptsToPauseAllThreads?: number;
  /** Seconds of pamiq time after which the system shuts down. Default Infinity. */
  maxUptime?: number;
  /** Pamiq-time seconds between step-time statistics lines. Default 60. */
  logTickTimeStatisticsInterval?: number;
  /** Time acceleration of the pamiq clock. Default 1. */
  timeScale?: number;
  /** Shut down gracefully on SIGINT and SIGTERM. Default true. */
  handleSignals?: boolean;
  /** Real seconds between control-loop ticks (save condition, uptime, errors). Default 0.01. */
  controlInterval?: number;
  /**
   * Where training runs: `'worker'` (trainers, training models and buffers in a worker thread, the
   * agent undisturbed on the main thread) or `'main'` (both loops take turns on the main thread, for
   * debugging). Default: `'worker'` when launch is given a `training` module, `'main'` when it is
   * given component instances (which cannot move to another thread).
   */
  threading?: 'worker' | 'main';
  /**
   * Linux nice value (0–19) of the training worker thread: on a machine busy with other processes, a
   * higher value gives the agent's thread the CPU first (and slows training). Default 0 (unchanged).
   */
  trainingNice?: number;
  /** An S3-compatible bucket where every committed state is also uploaded (see README). Default: none. */
  remote?: RemoteConfig;
  /**
   * Where the web API listens: `'host:port'`, `{ host, port }` (port 0: any free port) or null to
   * disable it. Default `PAMIQ_WEB_API_ADDRESS` (`off` disables), else `'localhost:8391'`. When the address is taken, the system logs an error and
   * runs without the API. A non-loopback host requires {@link webApiToken}.
   */
  webApiAddress?: ApiAddressLike;
  /** Commands the web API holds while one is carried out (503 beyond). Default 1. */
  webApiCommandQueueSize?: number;
  /** Bearer token every web API request must carry. Default: `PAMIQ_API_TOKEN`, else none. */
  webApiToken?: string;
  /** Log line format: `json`, `pretty` or `auto`. Default: `PAMIQ_LOG_FORMAT`, else unchanged (`auto`). */
  logFormat?: LogFormat;
}

export interface ResolvedLaunchConfig {
  statesDir: string;
  stateNameFormat: string;
  savedStatePath: string | undefined;
  partialLoad: boolean;
  saveStateCondition: SaveCondition | undefined;
  statesKeeper: StatesKeeper | undefined;
  timeoutForAllThreadsPause: number;
  maxAttemptsToPauseAllThreads: number;
  maxUptime: number;
  logTickTimeStatisticsInterval: number;
  timeScale: number;
  handleSignals: boolean;
  controlInterval: number;
  threading: 'worker' | 'main' | undefined;
  trainingNice: number;
  remote: ResolvedRemoteConfig | undefined;
  webApiAddress: ApiAddress | null;
  webApiCommandQueueSize: number;
  webApiToken: string | undefined;
  logFormat: LogFormat | undefined;
}

const DEFAULTS = {
  statesDir: DEFAULT_STATES_DIR,
  stateNameFormat: DEFAULT_STATE_NAME_FORMAT,
  savedStatePath: undefined,
  partialLoad: false,
  saveStateCondition: undefined,
  statesKeeper: undefined,
  timeoutForAllThreadsPause: 60,
  maxAttemptsToPauseAllThreads: 3,
  maxUptime: Infinity,
  logTickTimeStatisticsInterval: 60,
  timeScale: 1,
  handleSignals: true,
  controlInterval: 0.01,
  threading: undefined,
  trainingNice: 0,
  remote: undefined,
  webApiAddress: 'localhost:8391' as ApiAddressLike,
  webApiCommandQueueSize: 1,
  webApiToken: undefined,
  logFormat: undefined,
} as const;

const KNOWN = Object.keys(DEFAULTS) as (keyof LaunchConfig)[];

/** An invalid launch configuration; thrown before anything starts. */
export class LaunchConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid launch config:\n  ${problems.join('\n  ')}`);
    this.name = 'LaunchConfigError';
  }
}

/**
 * Fills defaults and checks every field; collects all problems into one {@link LaunchConfigError}.
 * The result is frozen: a running system's settings do not change under it.
 */
export function resolveLaunchConfig(input: LaunchConfig = {}): Readonly<ResolvedLaunchConfig> {
  const problems: string[] = [];
  if (typeof input !== 'object' || input === null) throw new LaunchConfigError(['config must be an object']);
  const unknown = Object.keys(input).filter((k) => !(KNOWN as string[]).includes(k));
  if (unknown.length) problems.push(`unknown field(s) ${unknown.join(', ')}; known fields: ${KNOWN.join(', ')}`);

  const c = {
    ...DEFAULTS,
    ...Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)),
  } as Required<Omit<LaunchConfig, 'savedStatePath' | 'saveStateCondition' | 'statesKeeper' | 'threading'>> &
    LaunchConfig;

  const positive = (name: keyof LaunchConfig, v: unknown, allowInfinity = false) => {
    if (typeof v !== 'number' || Number.isNaN(v) || v <= 0 || (!allowInfinity && !Number.isFinite(v))) {
      problems.push(`${name} must be a ${allowInfinity ? '' : 'finite '}number > 0, got ${String(v)}`);
    }
  };
  positive('timeoutForAllThreadsPause', c.timeoutForAllThreadsPause);
  positive('maxUptime', c.maxUptime, true);
  positive('logTickTimeStatisticsInterval', c.logTickTimeStatisticsInterval);
  positive('timeScale', c.timeScale);
  positive('controlInterval', c.controlInterval);
  if (!Number.isInteger(c.maxAttemptsToPauseAllThreads) || c.maxAttemptsToPauseAllThreads < 1) {
    problems.push(`maxAttemptsToPauseAllThreads must be an integer ≥ 1, got ${String(c.maxAttemptsToPauseAllThreads)}`);
  }
  // The config's statesDir, else DEFAULT_STATES_DIR (see resolveStatesDir for the whole precedence).
  let statesDir: string | undefined;
  try {
    statesDir = resolveStatesDir(c.statesDir);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (statesDir !== undefined) {
    const blocker = nonDirectoryOnPath(statesDir);
    if (blocker !== undefined) {
      problems.push(
        blocker === statesDir
          ? `statesDir '${c.statesDir}' exists and is not a directory`
          : `statesDir '${c.statesDir}' cannot be created: '${blocker}' is not a directory`,
      );
    }
  }
  if (c.savedStatePath !== undefined && (typeof c.savedStatePath !== 'string' || c.savedStatePath.length === 0)) {
    problems.push('savedStatePath must be a path or "latest"');
  }
  if (typeof c.handleSignals !== 'boolean') problems.push('handleSignals must be a boolean');
  if (typeof c.partialLoad !== 'boolean') problems.push('partialLoad must be a boolean');
  if (input.threading !== undefined && input.threading !== 'worker' && input.threading !== 'main') {
    problems.push(`threading must be 'worker' or 'main', got ${String(input.threading)}`);
  }
  if (!Number.isInteger(c.trainingNice) || c.trainingNice < 0 || c.trainingNice > 19) {
    problems.push(`trainingNice must be an integer from 0 to 19, got ${String(c.trainingNice)}`);
  }

  let webApiAddress: ApiAddress | null = null;
  try {
    webApiAddress = parseApiAddress(input.webApiAddress === undefined ? defaultApiAddress() : input.webApiAddress);
  } catch (err) {
    problems.push((err as Error).message);
  }
  if (!Number.isInteger(c.webApiCommandQueueSize) || c.webApiCommandQueueSize < 1) {
    problems.push(`webApiCommandQueueSize must be an integer ≥ 1, got ${String(c.webApiCommandQueueSize)}`);
  }
  const webApiToken = input.webApiToken ?? (process.env[TOKEN_ENV] || undefined);
  if (webApiToken !== undefined && (typeof webApiToken !== 'string' || webApiToken.trim().length === 0)) {
    problems.push('webApiToken must be a non-empty string');
  }
  if (webApiAddress && !isLoopback(webApiAddress.host) && webApiToken === undefined) {
    problems.push(
      `webApiAddress '${formatAddress(webApiAddress)}' is not a loopback address: set webApiToken (or ${TOKEN_ENV}) ` +
        'so that only holders of the token can control the system, or bind to localhost',
    );
  }
  const logFormat = input.logFormat ?? undefined;
  if (logFormat !== undefined && !['auto', 'json', 'pretty'].includes(logFormat)) {
    problems.push(`logFormat must be 'auto', 'json' or 'pretty', got ${String(logFormat)}`);
  }

  let sampleName: string | undefined;
  try {
    sampleName = formatStateName(c.stateNameFormat, nowNs());
  } catch (err) {
    problems.push((err as Error).message);
  }

  let condition: SaveCondition | undefined;
  if (input.saveStateCondition !== undefined) {
    try {
      condition = toSaveCondition(input.saveStateCondition);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }

  const keeper = input.statesKeeper;
  if (keeper !== undefined && !(keeper instanceof StatesKeeper)) {
    problems.push('statesKeeper must be an instance of a StatesKeeper subclass');
  }
  if (keeper instanceof LatestStatesKeeper && statesDir !== undefined) {
    if (keeper.statesDir !== statesDir) {
      problems.push(`statesKeeper watches '${keeper.statesDir}' but states are written to '${statesDir}'`);
    }
    if (sampleName !== undefined && !nameMatcher(keeper.stateNamePattern)(sampleName)) {
      problems.push(
        `statesKeeper pattern '${keeper.stateNamePattern}' does not match the state names ` +
          `(stateNameFormat '${c.stateNameFormat}' gives e.g. '${sampleName}'), so it would never remove anything`,
      );
    }
  }

  let remote: ResolvedRemoteConfig | undefined;
  if (input.remote !== undefined) {
    const checked = checkRemoteConfig(input.remote);
    remote = checked.config;
    problems.push(...checked.problems);
  }

  if (problems.length) throw new LaunchConfigError(problems);
  return Object.freeze({
    statesDir: statesDir!,
    stateNameFormat: c.stateNameFormat,
    savedStatePath: c.savedStatePath,
    partialLoad: c.partialLoad,
    saveStateCondition: condition,
    statesKeeper: keeper,
    timeoutForAllThreadsPause: c.timeoutForAllThreadsPause,
    maxAttemptsToPauseAllThreads: c.maxAttemptsToPauseAllThreads,
    maxUptime: c.maxUptime,
    logTickTimeStatisticsInterval: c.logTickTimeStatisticsInterval,
    timeScale: c.timeScale,
    handleSignals: c.handleSignals,
    controlInterval: c.controlInterval,
    threading: input.threading,
    trainingNice: c.trainingNice,
    remote,
    webApiAddress,
    webApiCommandQueueSize: c.webApiCommandQueueSize,
    webApiToken,
    logFormat,
  });
}

/**
 * The nearest existing path at or above `dir` when it is not a directory (a file where `dir` or one of
 * its parents should be), else undefined: such a statesDir could never be created or written.
 */
function nonDirectoryOnPath(dir: string): string | undefined {
  for (let p = dir; ; p = dirname(p)) {
    let st;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch (err) {
      // ENOTDIR: a parent is a file, found on the way up; anything else (permissions) is left to the write
      if ((err as NodeJS.ErrnoException).code !== 'ENOTDIR') return undefined;
    }
    if (st !== undefined) return st.isDirectory() ? undefined : p;
    if (dirname(p) === p) return undefined;
  }
}
