/**
 * Retention of saved states. A keeper picks states to remove; {@link StatesKeeper.cleanup} removes them
 * crash-safely, and only what is a state of the keeper's own states directory. It never touches a
 * protected state: the newest state of its directory that verifies (every file's size and checksum),
 * the newest one committed by the running system, and the one that was loaded.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { engine } from '../backend/select.js';
import type { ScanResult, StateEntry } from '../backend/types.js';
import { getLogger } from '../log.js';
import { DEFAULT_STATE_NAME_PATTERN } from './names.js';
import { scanStates } from './scan.js';
import { resolveStatesDir } from './statesdir.js';
import { publishPhase } from './phases.js';

const log = getLogger('state.keeper');
const NOT_A_STATE = 'it is not a state directory';

/** The identity of a state's manifest as a scan sees it: a state rewritten in place is verified again. */
function identity(e: StateEntry): string {
  return `${e.createdAtNs}|${e.size}|${e.fileCount}|${e.mtimeMs}`;
}

export abstract class StatesKeeper {
  /** Set by {@link useStatesDir}. */
  private assignedDir: string | undefined;
  private readonly protectedPaths = new Set<string>();
  private newestPath: string | undefined;
  /** Verification results by path, valid while the manifest identity is the same. */
  private readonly verified = new Map<string, { id: string; ok: boolean }>();

  /** Called with the path of every state committed while the system runs. Default: nothing. */
  append(_path: string): void {}

  /** The states to remove now. May be async. */
  abstract selectRemovalStates(): Iterable<string> | Promise<Iterable<string>>;

  /**
   * Polled by the control loop on every tick, as PAMIQ-Core runs its keeper's cleanup on every tick:
   * true makes the control loop run {@link cleanup} now (never during a save's commit, never twice at
   * once). Cheap by contract. Default false: the built-in keepers act after each commit, which is
   * when their selection can change; a time- or size-based keeper returns true when it has work.
   */
  needsCleanup(): boolean {
    return false;
  }

  /** Never remove `path` (the launch protects the state it loaded). */
  protect(path: string): void {
    this.protectedPaths.add(resolve(path));
  }

  /** Records `path` as the newest committed state (never removed), then calls {@link append}. */
  recordSaved(path: string): void {
    this.newestPath = resolve(path);
    this.append(path);
  }

  /**
   * Tells the keeper which directory it keeps when it does not say so itself (launch() passes its
   * config's `statesDir`). A subclass says so with a string property `statesDir`, as
   * {@link LatestStatesKeeper} does; that one wins.
   */
  useStatesDir(dir: string): void {
    this.assignedDir = resolveStatesDir(dir);
  }

  /** The directory whose states cleanup may remove; undefined when unknown (cleanup then refuses all). */
  keptStatesDir(): string | undefined {
    const own = (this as { statesDir?: unknown }).statesDir;
    return typeof own === 'string' && own.length > 0 ? resolveStatesDir(own) : this.assignedDir;
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
   * The scan cleanup judges targets by (one per cleanup). Default: every entry of the kept directory;
   * a subclass that scanned in {@link selectRemovalStates} returns that scan.
   */
  protected async cleanupScan(dir: string): Promise<ScanResult> {
    return scanStates(dir, '*');
  }

  /**
   * Whether the state of `entry` verifies (sizes and checksums of all its files). Each state is
   * verified once per manifest identity; a failure is logged once.
   */
  protected async verifies(entry: StateEntry): Promise<boolean> {
    const id = identity(entry);
    const cached = this.verified.get(entry.path);
    if (cached && cached.id === id) return cached.ok;
    let ok: boolean;
    try {
      const report = await engine().verifyState(entry.path);
      ok = report.problems.length === 0;
      if (!ok) {
        const faults = report.problems.map((p) => `${p.path}: ${p.fault}`).join(', ');
        log.warn(`State '${entry.path}' does not verify (${faults}); it is not counted as kept and not removed`);
      }
    } catch (err) {
      ok = false;
      log.warn(
        `State '${entry.path}' does not verify (${err instanceof Error ? err.message : String(err)}); it is not counted as kept`,
      );
    }
    this.verified.set(entry.path, { id, ok });
    return ok;
  }

  /** Why `path` must not be removed (it is not a state of the kept directory), or undefined. */
  private refusal(path: string, dir: string | undefined, entries: Map<string, StateEntry>): string | undefined {
    if (dir === undefined) return 'the keeper does not say which states directory it keeps (set statesDir)';
    if (path === dir) return 'it is the states directory itself';
    if (dirname(path) !== dir) return `it is not a state inside the keeper's states directory '${dir}'`;
    if (basename(path).startsWith('.')) return "names starting with '.' are not states";
    const e = entries.get(path);
    if (e === undefined) return NOT_A_STATE;
    if (!e.valid && e.reason === 'no manifest.json') return 'it has no manifest.json, so it is not a state';
    return undefined;
  }

  /**
   * Removes the selected states that are states of the kept directory ({@link keptStatesDir}) and not protected: each is first
   * renamed out of the state pattern, then deleted, so a crash never leaves a half-deleted state that
   * looks valid. The directory is scanned once. Anything else selected (the states directory itself,
   * a path outside it, `''`, `..`, a directory without a manifest) is refused with a logged reason.
   * @returns the removed paths.
   */
  async cleanup(): Promise<string[]> {
    const selected = [...new Set([...(await this.selectRemovalStates())].map((p) => resolve(p)))];
    if (selected.length === 0) return [];
    const dir = this.keptStatesDir();
    const scan = dir === undefined ? { entries: [], leftovers: [] } : await this.cleanupScan(dir);
    const entries = new Map(scan.entries.map((e) => [e.path, e]));
    const targetSet = new Set<string>();
    for (const p of selected) {
      const why = this.refusal(p, dir, entries);
      if (why !== undefined) {
        // A selected state that is already gone is no refusal.
        if (why !== NOT_A_STATE || existsSync(p)) log.warn(`Refusing to remove '${p}': ${why}`);
      } else if (this.isProtected(p)) log.info(`Keeping protected state '${p}'`);
      else if (!this.isRemovable(p)) log.info(`Keeping '${p}': its upload to the remote is not confirmed yet`);
      else targetSet.add(p);
    }
    // The newest state that verifies is never removed, whatever the keeper selected.
    const valid = scan.entries.filter((e) => e.valid);
    for (let i = valid.length - 1; i >= 0; i--) {
      if (await this.verifies(valid[i]!)) {
        if (targetSet.delete(valid[i]!.path)) log.info(`Keeping '${valid[i]!.path}': the newest state that verifies`);
        break;
      }
    }
    const targets = selected.filter((p) => targetSet.has(p));
    if (targets.length === 0) return [];
    publishPhase('remove:start', targets.join(','));
    const outcomes = await engine().removeStates(targets);
    publishPhase('remove:end', targets.join(','));
    const removed: string[] = [];
    for (const o of outcomes) {
      if (o.removed) {
        removed.push(o.path);
        this.verified.delete(o.path);
        log.info(`Removed: '${o.path}'`);
      } else {
        log.warn(`Could not remove '${o.path}': ${o.error}`);
      }
    }
    return removed;
  }
}

export interface LatestStatesKeeperOptions {
  statesDir: string;
  /** How many valid states to keep (≥ 1; the newest is always kept). */
  maxKeep: number;
  /** Glob on the state directory name; default `*.state`. */
  stateNamePattern?: string;
}

/**
 * Keeps the `maxKeep` most recent states that verify. Recency is the manifest's creation time (then
 * the name), not the directory mtime, so copies and `touch` do not reorder states. Directories without
 * a valid manifest are reported and never counted, so they cannot displace a valid state; a state
 * whose files do not verify is reported, not counted, and not removed: only states older than the
 * `maxKeep` newest verified ones are. Each state is verified once (by manifest identity), so a cleanup
 * after a save verifies just the new state. The directory is scanned at each cleanup, once, not at
 * construction.
 */
export class LatestStatesKeeper extends StatesKeeper {
  readonly statesDir: string;
  readonly maxKeep: number;
  readonly stateNamePattern: string;
  private readonly reportedInvalid = new Set<string>();
  private lastScan: ScanResult | undefined;

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
    this.statesDir = resolveStatesDir(options.statesDir);
    this.maxKeep = options.maxKeep;
    this.stateNamePattern = pattern;
  }

  protected override async cleanupScan(dir: string): Promise<ScanResult> {
    const scan = this.lastScan;
    this.lastScan = undefined;
    return scan ?? scanStates(dir, this.stateNamePattern);
  }

  override async selectRemovalStates(): Promise<string[]> {
    const scan = await scanStates(this.statesDir, this.stateNamePattern);
    this.lastScan = scan;
    for (const e of scan.entries) {
      if (!e.valid && !this.reportedInvalid.has(e.name)) {
        this.reportedInvalid.add(e.name);
        log.warn(`Ignoring '${e.path}', not a valid state: ${e.reason}`);
      }
    }
    const valid = scan.entries.filter((e) => e.valid);
    if (valid.length <= this.maxKeep) return [];
    // Walk from the newest until maxKeep states verify; everything older than the last of them goes.
    // The states still needed are verified at once (the engine verifies them on its I/O threads), not
    // one after another; a batch never verifies more states than the walk would.
    let good = 0;
    let i = valid.length - 1;
    while (i >= 0) {
      const batch = valid.slice(Math.max(0, i - (this.maxKeep - good) + 1), i + 1).reverse();
      const oks = await Promise.all(batch.map((e) => this.verifies(e)));
      for (const ok of oks) {
        if (ok) good++;
        if (good === this.maxKeep) return valid.slice(0, i).map((e) => e.path);
        i--;
      }
    }
    return [];
  }
}
