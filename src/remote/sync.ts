/**
 * RemoteSync: uploads committed local states to a RemoteStore in the background, off the loops.
 *
 * Each committed state is queued; one worker uploads the newest queued state first, so the state a
 * lost machine would be resumed from reaches the remote first. A failed upload is logged with what to
 * fix and retried after a delay that doubles from `retryInitialMs` up to `retryMaxMs`; nothing ever
 * throws into the caller, so the loops never stop for the remote. After each upload the remote
 * retention runs; a queued state that it would remove at once (the remote already keeps `maxKeep`
 * newer states) is not uploaded and counts as settled. A state stays "unconfirmed" until its marker exists remotely: {@link isRemovable} is
 * false for it, and the keeper consults that before deleting anything locally.
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { getLogger } from '../log.js';
import { scanStates } from '../state/scan.js';
import { RemoteError } from './errors.js';
import type { RemoteStore } from './store.js';

const log = getLogger('remote.sync');

export interface RemoteSyncOptions {
  /** Remote states to keep; undefined keeps all. */
  maxKeep?: number;
  retryInitialMs: number;
  retryMaxMs: number;
}

export interface UploadRecord {
  path: string;
  remoteName: string;
  alreadyThere: boolean;
  ms: number;
}

export class RemoteSync {
  /** Local paths waiting for their upload, in queue order (the newest is taken first). */
  private readonly queue: string[] = [];
  private readonly unconfirmed = new Set<string>();
  private readonly remoteNames = new Map<string, string>();
  private worker: Promise<void> | undefined;
  private readonly stop = new AbortController();
  private idleWaiters: (() => void)[] = [];
  /** Set by close(): a failed attempt then ends the worker instead of waiting to retry. */
  private closing = false;
  private backoff: AbortController | undefined;
  /** Uploads confirmed by this sync, in order. */
  readonly uploads: UploadRecord[] = [];
  /** The last 100 failed attempts (each was logged and retried). */
  readonly failures: { path: string; error: RemoteError }[] = [];

  constructor(
    readonly remote: RemoteStore,
    private readonly options: RemoteSyncOptions,
  ) {}

  /** Queues the committed state at `path` for upload; returns at once. */
  enqueue(path: string): void {
    const abs = resolve(path);
    if (this.stop.signal.aborted) {
      log.warn(`Not uploading '${abs}': the remote sync is closed; it is uploaded at the next launch`);
      return;
    }
    if (!this.unconfirmed.has(abs)) {
      this.unconfirmed.add(abs);
      this.queue.push(abs);
    }
    this.kick();
  }

  /** Starts the worker unless it runs; a worker that ends with states queued is started again. */
  private kick(): void {
    if (this.worker || this.stop.signal.aborted || this.closing) return;
    this.worker = this.work().finally(() => {
      this.worker = undefined;
      if (this.queue.length) this.kick();
    });
  }

  /**
   * Queues every valid local state of `statesDir` (those not on the remote yet are uploaded; the others
   * are confirmed by one small read each), so that states committed while the remote was unreachable
   * in an earlier run reach it too.
   */
  async enqueueExisting(statesDir: string, pattern?: string): Promise<void> {
    const { entries } = await scanStates(statesDir, pattern);
    for (const e of entries) {
      if (!e.valid) continue;
      this.enqueue(e.path);
    }
  }

  /** True when retention would remove the state at once: the remote keeps `maxKeep` states newer than it. */
  private async superseded(path: string): Promise<boolean> {
    if (this.options.maxKeep === undefined) return false;
    let created: bigint;
    try {
      created = BigInt(
        (JSON.parse(await readFile(join(path, 'manifest.json'), 'utf8')) as { createdAtNs: string }).createdAtNs,
      );
    } catch {
      return false; // the push names the problem
    }
    const { states } = await this.remote.list();
    return states.filter((s) => BigInt(s.createdAtNs) > created).length >= this.options.maxKeep;
  }

  /** False while the state at `path` was queued and its upload is not confirmed. */
  isRemovable(path: string): boolean {
    return !this.unconfirmed.has(resolve(path));
  }

  /** Records that `path` is on the remote as `remoteName` (e.g. it was just pulled from it). */
  markConfirmed(path: string, remoteName: string): void {
    const abs = resolve(path);
    this.remoteNames.set(abs, remoteName);
    this.unconfirmed.delete(abs);
    const i = this.queue.indexOf(abs);
    if (i >= 0) this.queue.splice(i, 1);
  }

  /** Local paths whose upload is not confirmed yet. */
  get pending(): string[] {
    return [...this.unconfirmed];
  }

  /**
   * Resolves when nothing is queued, when the worker ended (closing after a failure), or after
   * `timeoutMs`; true when everything was uploaded.
   */
  async flush(timeoutMs = Infinity): Promise<boolean> {
    if (this.unconfirmed.size === 0) return true;
    if (!this.worker) return false; // nothing is uploading (closing after a failure)
    const idle = new Promise<void>((r) => this.idleWaiters.push(r));
    if (Number.isFinite(timeoutMs)) {
      const ac = new AbortController();
      await Promise.race([idle, delay(timeoutMs, undefined, { signal: ac.signal }).catch(() => undefined)]);
      ac.abort();
    } else await idle;
    return this.unconfirmed.size === 0;
  }

  /**
   * Waits up to `waitMs` for queued uploads — but not past a failed attempt: an unreachable remote does
   * not hold up a shutdown — then stops the worker (an upload in flight is aborted; its files without a
   * marker are never seen as a state). Unfinished states stay local and unconfirmed.
   */
  async close(waitMs: number): Promise<void> {
    // One more attempt right away for a state waiting out its backoff; a failure then ends the wait.
    this.closing = true;
    this.backoff?.abort();
    const done = await this.flush(waitMs);
    if (!done) {
      log.warn(
        `${this.unconfirmed.size} state(s) not uploaded to ${this.remote.where} before shutdown; they stay local and ` +
          `are uploaded at the next launch: ${this.pending.join(', ')}`,
      );
    }
    this.stop.abort();
    await this.worker?.catch(() => undefined);
  }

  private async work(): Promise<void> {
    let failures = 0;
    const signal = this.stop.signal;
    while (this.queue.length && !signal.aborted) {
      const path = this.queue[this.queue.length - 1]!;
      const begin = performance.now();
      try {
        if (await this.superseded(path)) {
          log.info(`Not uploading '${path}': ${this.remote.where} already keeps ${this.options.maxKeep} newer states`);
          this.markConfirmed(path, '');
          continue;
        }
        const result = await this.remote.push(path, signal);
        if (signal.aborted) break;
        failures = 0;
        this.uploads.push({ path, ...result, ms: performance.now() - begin, remoteName: result.remoteName });
        this.markConfirmed(path, result.remoteName);
        await this.retain();
      } catch (err) {
        if (signal.aborted) break;
        const error = err instanceof RemoteError ? err : new RemoteError(String(err), { cause: err });
        this.failures.push({ path, error });
        if (this.failures.length > 100) this.failures.shift(); // a long outage keeps the latest only
        if (/is not a committed state/.test(error.message)) {
          // Removed or never committed: nothing left to upload.
          log.warn(`Not uploading '${path}': ${error.message}`);
          this.markConfirmed(path, '');
          continue;
        }
        const wait = Math.min(this.options.retryMaxMs, this.options.retryInitialMs * 2 ** failures);
        failures++;
        log.error(
          `Uploading '${path}' failed (attempt ${failures}); the state stays local and the upload is retried in ` +
            `${(wait / 1000).toFixed(1)} s: ${error.message}`,
        );
        if (this.closing) break;
        this.backoff = new AbortController();
        const stopOrClose = AbortSignal.any([signal, this.backoff.signal]);
        await delay(wait, undefined, { signal: stopOrClose }).catch(() => undefined);
        this.backoff = undefined;
      }
      if (this.unconfirmed.size === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
    // Ended: everything uploaded, or stopped, or closing after a failure.
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private async retain(): Promise<void> {
    if (this.options.maxKeep === undefined) return;
    try {
      await this.remote.applyRetention(this.options.maxKeep);
    } catch (err) {
      log.error(`Remote retention failed; it runs again after the next upload: ${(err as Error).message}`);
    }
  }
}
