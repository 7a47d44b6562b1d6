/**
 * The main thread's side of the training worker: starts it, talks to it, runs its loop as a
 * {@link LoopRunner} for the control loop, and notices when it dies.
 */
import { type ResourceLimits, Worker } from 'node:worker_threads';
import { getLogger, getLogLevel, writeRawLog } from '../log.js';
import type { LoopRunner } from '../launch/loop.js';
import type { FileDigest } from '../backend/types.js';
import { getGlobalTimeController } from '../time/index.js';
import { globalClock } from '../time/global.js';
import type { FromWorker, ReadyMessage, Request, ToWorker, TrainingStats, WorkerInit } from './protocol.js';
import { WorkerError } from './protocol.js';
import { TrainingModuleError } from './definition.js';

const log = getLogger('runtime');

/** The training worker stopped without being asked to (process.exit, out of memory, a crash). */
export class WorkerDiedError extends Error {
  constructor(
    message: string,
    readonly exitCode: number | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WorkerDiedError';
  }
}

// The worker is started through a small CommonJS bootstrap so that a TypeScript training module (and
// this library's own sources, when run through tsx) load in the worker on every supported Node:
// tsx's hooks are registered in the worker explicitly (on Node 20 they are not inherited).
const BOOT = `const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsxApi) (await import(workerData.tsxApi)).register();
  await import(workerData.entry);
})().catch((err) => setImmediate(() => { throw err; }));`;

function needsTsx(moduleUrl: string): boolean {
  return import.meta.url.endsWith('.ts') || /\.[cm]?tsx?$/.test(new URL(moduleUrl).pathname);
}

function tsxApi(moduleUrl: string): string | undefined {
  if (!needsTsx(moduleUrl)) return undefined;
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch (err) {
    throw new Error(
      `The training module '${moduleUrl}' is TypeScript, which needs 'tsx' to load in the training worker: ` +
        `install it (npm install --save-dev tsx) or point launch at the compiled .js module`,
      { cause: err },
    );
  }
}

/**
 * An error thrown while the worker started, as a real Error of this thread: a TrainingModuleError
 * keeps its class, anything else becomes a WorkerError with its name, message and stack.
 */
function revive(err: unknown): Error {
  const e = err as { name?: unknown; message?: unknown; stack?: unknown } | null;
  const name = typeof e?.name === 'string' ? e.name : 'Error';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  const revived =
    name === 'TrainingModuleError' ? new TrainingModuleError(message) : new WorkerError({ name, message });
  if (typeof e?.stack === 'string') revived.stack = `${e.stack}\n    (in the training worker)`;
  return revived;
}

/** A worker-backed training loop, driven by messages; see worker-entry.ts. */
class WorkerLoop implements LoopRunner {
  readonly name = 'training';
  private epoch = 0;
  private pausedEpoch = -1;
  private exited = false;
  private listeners = new Set<() => void>();
  private resolveDone!: () => void;
  private rejectDone!: (err: unknown) => void;
  readonly done: Promise<void>;

  constructor(private readonly send: (msg: ToWorker) => void) {
    this.done = new Promise<void>((res, rej) => {
      this.resolveDone = res;
      this.rejectDone = rej;
    });
    this.done.catch(() => undefined);
  }

  get paused(): boolean {
    return this.pausedEpoch === this.epoch;
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }

  /** @internal from the host's message handler. */
  onPaused(epoch: number): void {
    this.pausedEpoch = epoch;
    this.changed();
  }

  /** @internal the loop ended (stop, a trainer's error, or the worker's death). */
  onExit(error?: unknown): void {
    if (this.exited) return;
    this.exited = true;
    if (error === undefined) this.resolveDone();
    else this.rejectDone(error);
    this.changed();
  }

  start(): void {
    this.send({ t: 'start' });
  }

  requestPause(): void {
    this.epoch++;
    this.send({ t: 'pause', epoch: this.epoch });
  }

  /** The timeout runs on the global time controller's clock, as the main-thread loop's does. */
  waitPaused(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const ac = new AbortController();
      const check = () => {
        if (this.paused || this.exited) {
          ac.abort();
          this.listeners.delete(check);
          resolve(true);
        }
      };
      void globalClock()
        .sleep(timeoutMs, { signal: ac.signal })
        .then(() => {
          this.listeners.delete(check);
          resolve(this.paused || this.exited);
        });
      this.listeners.add(check);
      check();
    });
  }

  resume(): void {
    this.epoch++;
    this.send({ t: 'resume', epoch: this.epoch });
  }

  stop(): void {
    this.send({ t: 'stop' });
  }
}

export interface TrainingWorkerOptions {
  module: string;
  options: unknown;
  statsInterval: number;
  /** Nice value of the training thread on Linux (0: unchanged). */
  nice: number;
  /** Heap limits of the worker (see Node's Worker `resourceLimits`). */
  resourceLimits?: ResourceLimits;
}

/** The training worker, started and ready (its components built). */
export class TrainingWorker {
  readonly loop: WorkerLoop;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: unknown): void }>();
  private death: WorkerDiedError | undefined;
  private closing = false;
  private stopClock: () => void = () => undefined;
  readonly exited: Promise<number>;
  /** The newest training statistics the worker reported. */
  stats: TrainingStats = { runs: 0, trainers: [] };
  private runListener: (name: string, seconds: number, buffers: [string, number][]) => void = () => undefined;

  private constructor(
    private readonly worker: Worker,
    readonly ready: ReadyMessage,
    exited: Promise<number>,
  ) {
    this.exited = exited;
    this.loop = new WorkerLoop((msg) => this.post(msg));
  }

  /**
   * Starts the worker and waits until it has built its components.
   * @throws the error of the training module (import, factories, a model that cannot be shared), or
   *   WorkerDiedError when the worker stops before it is ready.
   */
  static async start(opts: TrainingWorkerOptions): Promise<TrainingWorker> {
    const clock = getGlobalTimeController();
    const init: WorkerInit = {
      module: opts.module,
      options: opts.options,
      clock: clock.view(),
      logLevel: getLogLevel(),
      statsInterval: opts.statsInterval,
      nice: opts.nice,
    };
    const fromSource = import.meta.url.endsWith('.ts');
    const worker = new Worker(BOOT, {
      eval: true,
      workerData: {
        init,
        tsxApi: tsxApi(opts.module),
        entry: new URL(fromSource ? './worker-entry.ts' : './worker-entry.js', import.meta.url).href,
      },
      resourceLimits: opts.resourceLimits,
    });
    let failure: unknown;
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    const ready = await new Promise<ReadyMessage>((resolve, reject) => {
      const onMessage = (msg: FromWorker) => {
        if (msg.t === 'log') writeRawLog(msg.json);
        else if (msg.t === 'ready') resolve(msg);
      };
      worker.on('message', onMessage);
      worker.once('error', (err) => {
        failure = revive(err);
        reject(failure);
      });
      void exited.then((code) =>
        reject(failure ?? new WorkerDiedError(`The training worker exited (code ${code}) before it was ready`, code)),
      );
    }).finally(() => worker.removeAllListeners('message').removeAllListeners('error'));
    const host = new TrainingWorker(worker, ready, exited);
    host.attach();
    return host;
  }

  private attach(): void {
    const w = this.worker;
    w.on('message', (msg: FromWorker) => this.onMessage(msg));
    w.on('error', (err) => this.die(err, undefined));
    void this.exited.then((code) => {
      if (!this.closing || this.pending.size > 0) {
        this.die(undefined, code);
      }
      this.loop.onExit(this.death);
    });
    const clock = getGlobalTimeController();
    this.stopClock = clock.onChange(() => this.post({ t: 'clock', view: clock.view() }));
  }

  private onMessage(msg: FromWorker): void {
    switch (msg.t) {
      case 'log':
        writeRawLog(msg.json);
        return;
      case 'paused':
        this.loop.onPaused(msg.epoch);
        return;
      case 'resumed':
        return;
      case 'stats':
        this.stats = msg.stats;
        return;
      case 'run':
        this.runListener(msg.name, msg.seconds, msg.buffers);
        return;
      case 'loop-exit':
        this.loop.onExit(msg.error ? new WorkerError(msg.error) : undefined);
        return;
      case 'reply': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.ok) p.resolve(msg.value);
        else p.reject(new WorkerError(msg.error));
        return;
      }
      case 'ready':
        return;
    }
  }

  private die(err: unknown, code: number | undefined): void {
    if (this.death) return;
    const reason =
      err !== undefined
        ? `failed: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`
        : `exited unexpectedly with code ${code}`;
    this.death = new WorkerDiedError(
      `The training worker ${reason}. Trainers, training models and buffers are gone with it; ` +
        'the system shuts down without a final save, and no state on disk was touched.',
      code,
      { cause: err },
    );
    log.error(this.death.message);
    for (const p of this.pending.values()) p.reject(this.death);
    this.pending.clear();
    this.loop.onExit(this.death);
  }

  /** Calls `listener` for every training run the worker reports. */
  onTrainingRun(listener: (name: string, seconds: number, buffers: [string, number][]) => void): void {
    this.runListener = listener;
  }

  /** Why the worker died, or undefined while it lives. */
  get deathError(): WorkerDiedError | undefined {
    return this.death;
  }

  post(msg: ToWorker, transfer: import('node:worker_threads').TransferListItem[] = []): void {
    if (this.death) return;
    this.worker.postMessage(msg, transfer as never);
  }

  /**
   * Sends a request and waits for its reply.
   * @throws the worker's error (as a WorkerError with its name and stack), or WorkerDiedError.
   */
  request(
    req: Request,
    transfer: import('node:worker_threads').TransferListItem[] = [],
  ): Promise<Record<string, FileDigest> | undefined> {
    if (this.death) return Promise.reject(this.death);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.post({ t: 'rpc', id, ...req } as ToWorker, transfer);
    });
  }

  /**
   * Stops the training loop and ends the worker, waiting for it to exit (its last log lines arrive
   * first); terminates it after `timeoutMs`.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    this.stopClock();
    if (this.death) {
      await this.worker.terminate().catch(() => undefined);
      return;
    }
    this.closing = true;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.request({ op: 'close' }).then(() => this.exited),
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]).catch(() => undefined);
    clearTimeout(timer);
    await this.worker.terminate().catch(() => undefined);
  }
}
