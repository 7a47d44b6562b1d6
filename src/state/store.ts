/**
 * StateStore: registers components and saves/loads them as one atomic, verified state.
 *
 * A save has two phases. {@link StateStore.capture} runs while the loops are paused: it calls every
 * component's saveState into a hidden temporary directory; built-in components only stage their
 * files there (see persistence/component-files.ts), custom ones may write directly.
 * {@link PendingSave.commit} runs after the loops resumed: it encodes and writes the staged files,
 * hashes and fsyncs everything, writes the manifest last and renames the directory into place. A failure at any point removes the temporary
 * directory and leaves every earlier state as it was.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { ensureStatesDir, resolveStatesDir } from './statesdir.js';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { engine } from '../backend/select.js';
import type { FileDigest } from '../backend/types.js';
import { getLogger } from '../log.js';
import { LIBRARY } from '../version.js';
import {
  SaveError,
  StateCorruptError,
  StateMismatchError,
  StateNotDurableError,
  StateNotFoundError,
} from './errors.js';
import {
  type DeferredWrite,
  type ExternalPart,
  type Producer,
  withCapture,
  withLoad,
  writeCaptured,
} from '../persistence/capture.js';
import { DEFAULT_STATE_NAME_FORMAT, formatStateName, nowNs } from './names.js';
import type { PersistentState } from '../persistence/persistent.js';
import { publishPhase } from './phases.js';

const log = getLogger('state.store');

export interface StateStoreOptions {
  /** Where states are created (created with parents if missing). */
  statesDir: string;
  /** strftime-style name in UTC; default `%Y-%m-%d_%H-%M-%S,%f.state`. */
  stateNameFormat?: string;
}

export interface LoadOptions {
  /** Load the components present in both the state and the store instead of failing on a difference. */
  partial?: boolean;
}

/** A captured state waiting to be written. Commit or discard it exactly once. */
export class PendingSave {
  private settled = false;

  constructor(
    /** The intended state name. */
    readonly name: string,
    readonly tmpDir: string,
    private readonly statesDir: string,
    private readonly createdAtNs: bigint,
    private readonly components: string[],
    private readonly staged: Map<string, Producer>,
    /** Writes recorded with deferWrite (directory snapshots), run after the staged files. */
    private readonly deferred: DeferredWrite[] = [],
    /** Files staged by other threads (the training worker), written by them in the write phase. */
    private readonly external: ExternalPart[] = [],
  ) {}

  /**
   * Writes the staged files, commits the state and returns its path.
   * @throws SaveError naming the file or step that failed; the temporary directory is removed.
   * @throws StateNotDurableError when the state was committed (it is in place under `err.path`) but the
   *   states directory could not be fsynced after the rename.
   */
  async commit(): Promise<string> {
    this.claim();
    let result;
    try {
      publishPhase('write:start', this.name);
      const known = await this.writeAll();
      publishPhase('commit:start', this.name);
      result = await engine().commitState({
        tmpDir: this.tmpDir,
        statesDir: this.statesDir,
        name: this.name,
        known,
        library: { ...LIBRARY },
        createdAtNs: this.createdAtNs.toString(),
        components: this.components,
      });
    } catch (err) {
      await rm(this.tmpDir, { recursive: true, force: true }).catch(() => undefined);
      throw err instanceof SaveError ? err : new SaveError(`Saving state '${this.name}' failed`, err);
    }
    publishPhase('commit:end', result.path);
    if (!result.durable) throw new StateNotDurableError(result.path, result.syncError ?? 'unknown error');
    return result.path;
  }

  /** Drops the capture and removes its temporary directory. */
  async discard(): Promise<void> {
    this.claim();
    await Promise.allSettled(this.external.map((part) => part.discard()));
    await rm(this.tmpDir, { recursive: true, force: true });
  }

  private claim() {
    if (this.settled) throw new Error(`Pending save '${this.name}' was already committed or discarded`);
    this.settled = true;
  }

  /** Writes this thread's staged files, the other threads' alongside, then the deferred writes. */
  private writeAll(): Promise<Record<string, FileDigest>> {
    const external = async () => {
      const known: Record<string, FileDigest> = {};
      for (const part of this.external) {
        try {
          Object.assign(known, await part.write());
        } catch (err) {
          throw err instanceof SaveError
            ? err
            : new SaveError(`Writing the worker's files of state '${this.name}' failed`, err);
        }
      }
      return known;
    };
    return writeCaptured(
      this.tmpDir,
      this.staged,
      this.deferred,
      {
        file: (rel, err) => new SaveError(`Writing '${rel}' of state '${this.name}' failed`, err),
        snapshot: (err) => new SaveError(`A directory snapshot of state '${this.name}' failed`, err),
      },
      external,
    );
  }
}

export class StateStore {
  readonly statesDir: string;
  readonly stateNameFormat: string;
  private readonly components = new Map<string, PersistentState>();
  private readonly optional = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();

  /**
   * Creates `statesDir` (with its parents) when it does not exist, as PAMIQ-Core's StateStore does.
   * @throws RangeError when the name format is invalid; the file system's error (EEXIST, ENOTDIR,
   *   EACCES) when the directory cannot be created.
   */
  constructor(options: StateStoreOptions) {
    this.statesDir = resolveStatesDir(options.statesDir);
    this.stateNameFormat = options.stateNameFormat ?? DEFAULT_STATE_NAME_FORMAT;
    formatStateName(this.stateNameFormat, nowNs()); // validate early
    mkdirSync(this.statesDir, { recursive: true });
  }

  /**
   * Registers a component under `name` (its directory or file stem inside every state).
   * @param options.optional a state saved without this component still loads fully (the component
   *   keeps its current state): for components added in a later release, so that older states load.
   * @throws Error when the name is taken or is not a plain path segment.
   */
  register(name: string, component: PersistentState, options: { optional?: boolean } = {}): void {
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) || name === 'manifest.json') {
      throw new Error(
        `Component name '${name}' must be a plain file name (letters, digits, _ . -), not 'manifest.json'`,
      );
    }
    if (this.components.has(name)) throw new Error(`Component '${name}' is already registered`);
    this.components.set(name, component);
    if (options.optional) this.optional.add(name);
  }

  get names(): string[] {
    return [...this.components.keys()];
  }

  /**
   * Phase one of a save: every component captures its state into a new temporary directory.
   * Captures are serialized with other captures and loads of this store.
   * @throws SaveError naming the component whose saveState threw; nothing is left on disk.
   */
  capture(): Promise<PendingSave> {
    return this.serialize(() => this.captureNow());
  }

  /** Captures and commits in one go; returns the committed state's path. */
  async saveState(): Promise<string> {
    const pending = await this.capture();
    return pending.commit();
  }

  /**
   * Verifies the state (manifest, every size and checksum) and, only then, loads every component.
   * @throws StateNotFoundError, StateCorruptError, StateMismatchError, or an EngineError with code
   *   ENOTSTATE / EBADMANIFEST / ENEWERFORMAT — in every case before any component was touched.
   */
  loadState(path: string, options: LoadOptions = {}): Promise<void> {
    return this.serialize(() => this.loadNow(resolve(path), options));
  }

  private serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async captureNow(): Promise<PendingSave> {
    ensureStatesDir(this.statesDir);
    const createdAtNs = nowNs();
    const name = formatStateName(this.stateNameFormat, createdAtNs);
    const tmpDir = join(this.statesDir, `.pamiq-tmp-${name}-${process.pid}-${randomBytes(4).toString('hex')}`);
    mkdirSync(tmpDir);
    publishPhase('capture:start', name);
    let current = '';
    let staged: Map<string, Producer>;
    let deferred: DeferredWrite[];
    let external: ExternalPart[];
    try {
      [, staged, deferred, external] = await withCapture(tmpDir, async () => {
        for (const [componentName, component] of this.components) {
          current = componentName;
          await component.saveState(join(tmpDir, componentName));
        }
      });
    } catch (err) {
      await rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
      throw new SaveError(`Component '${current}' failed to save its state`, err);
    }
    publishPhase('capture:end', name);
    return new PendingSave(name, tmpDir, this.statesDir, createdAtNs, this.names, staged, deferred, external);
  }

  private async loadNow(path: string, options: LoadOptions): Promise<void> {
    if (!existsSync(path)) throw new StateNotFoundError(path);
    const result = await engine().readState(path);
    if (result.problems.length) throw new StateCorruptError(path, result.problems);
    const inState = new Set(result.manifest.components);
    const missing = this.names.filter((n) => !inState.has(n) && !this.optional.has(n));
    const unexpected = result.manifest.components.filter((n) => !this.components.has(n));
    if ((missing.length || unexpected.length) && !options.partial) {
      throw new StateMismatchError(path, missing, unexpected);
    }
    if (missing.length || unexpected.length) {
      log.warn({ missing, unexpected }, `Partial load of '${path}': loading only the components both have`);
    }
    await withLoad(path, result.files, async () => {
      for (const [componentName, component] of this.components) {
        if (!inState.has(componentName)) continue;
        await component.loadState(join(path, componentName));
      }
    });
  }
}
