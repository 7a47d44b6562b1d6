/**
 * Retention of saved states. A keeper picks states to remove; {@link StatesKeeper.cleanup} removes them
 * crash-safely, never touching a protected state: the newest valid one of its directory, the newest one
 * committed by the running system, and the one that was loaded.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { engine } from '../backend/select.js';
import { getLogger } from '../log.js';
import { DEFAULT_STATE_NAME_PATTERN } from './names.js';
import { scanStates } from './scan.js';
import { publishPhase } from './phases.js';

const log = getLogger('state.keeper');

export abstract class StatesKeeper {
  private readonly protectedPaths = new Set<string>();
  private newestPath: string | undefined;

  /** Called with the path of every state committed while the system runs. Default: nothing. */
  append(_path: string): void {}

  /** The states to remove now. May be async. */
  abstract selectRemovalStates(): Iterable<string> | Promise<Iterable<string>>;

  /** Never remove `path` (the launch protects the state it loaded). */
  protect(path: string): void {
    this.protectedPaths.add(resolve(path));
  }

  /** Records `path` as the newest committed state (never removed), then calls {@link append}. */
  recordSaved(path: string): void {
    this.newestPath = resolve(path);
    this.append(path);
  }

  /** True when cleanup will refuse to remove `path`. */
  isProtected(path: string): boolean {
    const abs = resolve(path);
    return abs === this.newestPath || this.protectedPaths.has(abs);
  }

  // ---- removal guard: a remote keeps states whose upload is not confirmed ----
  private removalGuard: ((path: string) => boolean) | undefined;

  /** Consulted by {@link cleanup}: a state for which `guard(absolutePath)` is false is kept. */
  setRemovalGuard(guard: ((path: string) => boolean) | undefined): void {
    this.removalGuard = guard;
  }

  /** False when the removal guard keeps `path` (e.g. its upload to the remote is not confirmed). */
  isRemovable(path: string): boolean {
    return this.removalGuard?.(resolve(path)) ?? true;
  }

  /**
   * Removes the selected states that exist and are not protected: each is first renamed out of the
   * state pattern, then deleted, so a crash never leaves a half-deleted state that looks valid.
   * @returns the removed paths.
   */
  async cleanup(): Promise<string[]> {
    const selected = [...new Set([...(await this.selectRemovalStates())].map((p) => resolve(p)))];
    const newest = await newestValidStates(selected);
    const spare = (p: string) => this.isProtected(p) || newest.has(p) || !this.isRemovable(p);
    for (const p of selected.filter(spare)) log.info(`Keeping protected state '${p}'`);
    const targets = selected.filter((p) => !spare(p) && existsSync(p));
    if (targets.length === 0) return [];
    publishPhase('remove:start', targets.join(','));
    const outcomes = await engine().removeStates(targets);
    publishPhase('remove:end', targets.join(','));
    const removed: string[] = [];
    for (const o of outcomes) {
      if (o.removed) {
        removed.push(o.path);
        log.info(`Removed: '${o.path}'`);
      } else {
        log.warn(`Could not remove '${o.path}': ${o.error}`);
      }
    }
    return removed;
  }
}

/**
 * The newest valid state of every directory that holds one of `paths`: whatever a keeper selects, the
 * newest state that would load is never removed (in a running system it is also the one just saved).
 */
async function newestValidStates(paths: string[]): Promise<Set<string>> {
  const newest = new Set<string>();
  for (const dir of new Set(paths.map((p) => dirname(p)))) {
    const valid = (await scanStates(dir, '*')).entries.filter((e) => e.valid);
    if (valid.length > 0) newest.add(valid[valid.length - 1]!.path);
  }
  return newest;
}

export interface LatestStatesKeeperOptions {
  statesDir: string;
  /** How many valid states to keep (≥ 1; the newest is always kept). */
  maxKeep: number;
  /** Glob on the state directory name; default `*.state`. */
  stateNamePattern?: string;
}

/**
 * Keeps the `maxKeep` most recent valid states. Recency is the manifest's creation time (then the
 * name), not the directory mtime, so copies and `touch` do not reorder states. Directories without a
 * valid manifest are reported and never counted, so they cannot displace a valid state. The directory
 * is scanned at each cleanup, not at construction.
 */
export class LatestStatesKeeper extends StatesKeeper {
  readonly statesDir: string;
  readonly maxKeep: number;
  readonly stateNamePattern: string;
  private readonly reportedInvalid = new Set<string>();

  /** @throws RangeError when maxKeep is not an integer ≥ 1 or the pattern is empty. */
  constructor(options: LatestStatesKeeperOptions) {
    super();
    if (!Number.isInteger(options.maxKeep) || options.maxKeep < 1) {
      throw new RangeError(
        `LatestStatesKeeper maxKeep must be an integer ≥ 1 (the newest state is always kept), got ${options.maxKeep}`,
      );
    }
    const pattern = options.stateNamePattern ?? DEFAULT_STATE_NAME_PATTERN;
    if (typeof pattern !== 'string' || pattern.length === 0) {
      throw new RangeError('LatestStatesKeeper stateNamePattern must be a non-empty glob');
    }
    this.statesDir = resolve(options.statesDir);
    this.maxKeep = options.maxKeep;
    this.stateNamePattern = pattern;
  }

  override async selectRemovalStates(): Promise<string[]> {
    const { entries } = await scanStates(this.statesDir, this.stateNamePattern);
    for (const e of entries) {
      if (!e.valid && !this.reportedInvalid.has(e.name)) {
        this.reportedInvalid.add(e.name);
        log.warn(`Ignoring '${e.path}', not a valid state: ${e.reason}`);
      }
    }
    const valid = entries.filter((e) => e.valid);
    return valid.slice(0, Math.max(0, valid.length - this.maxKeep)).map((e) => e.path);
  }
}
