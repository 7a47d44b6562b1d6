/**
 * Messages between the main thread and the training worker. Everything here is structured-cloneable.
 */
import type { ClockView } from '../time/controller.js';
import type { FileDigest } from '../backend/types.js';
import type { ParameterLayout } from './params.js';
import type { PackedBatch } from './records.js';

/** What the worker starts with (its `workerData`). */
export interface WorkerInit {
  /** The training module, as an absolute file: URL. */
  module: string;
  /** Passed to the definition's factories. */
  options: unknown;
  clock: ClockView;
  logLevel: string;
  /** Pamiq seconds between the training loop's statistics lines. */
  statsInterval: number;
  /** Nice value of the training thread on Linux (0: unchanged). */
  nice: number;
}

/** A model as the worker reports it: its parameter channel, when it has an inference model. */
export interface ModelInfo {
  name: string;
  layout: ParameterLayout;
  buffer: SharedArrayBuffer;
}

export interface ReadyMessage {
  t: 'ready';
  models: ModelInfo[];
  /** Buffer name → its collector's queue capacity (undefined: unbounded). */
  buffers: [string, number | undefined][];
  trainers: string[];
}

/** Training statistics the worker reports now and then. */
export interface TrainingStats {
  runs: number;
  trainers: { name: string; runs: number; lastRunSeconds: number | undefined; lastRunAt: number | undefined }[];
}

export type ToWorker =
  | { t: 'clock'; view: ClockView }
  | { t: 'data'; name: string; batch: PackedBatch }
  | { t: 'start' }
  | { t: 'pause'; epoch: number }
  | { t: 'resume'; epoch: number }
  | { t: 'stop' }
  | ({ t: 'rpc'; id: number } & Request);

export type Request =
  | { op: 'capture'; root: string; component: string; path: string }
  | { op: 'write'; root: string }
  | { op: 'discard'; root: string }
  | { op: 'load'; component: string; path: string; files: [string, Uint8Array][] }
  | { op: 'close' };

export type FromWorker =
  | ReadyMessage
  | { t: 'paused'; epoch: number }
  | { t: 'resumed'; epoch: number }
  | { t: 'log'; json: string }
  | { t: 'loop-exit'; error?: SerializedError }
  | { t: 'stats'; stats: TrainingStats }
  | { t: 'run'; name: string; seconds: number; buffers: [string, number][] }
  | { t: 'reply'; id: number; ok: true; value?: Record<string, FileDigest> }
  | { t: 'reply'; id: number; ok: false; error: SerializedError };

export interface SerializedError {
  name: string;
  message: string;
  stack?: string;
  code?: string;
}

export function serializeError(err: unknown): SerializedError {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      name: err.name,
      message: err.message,
      stack: err.stack,
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { name: 'Error', message: String(err) };
}

/** An error thrown in the training worker, re-created on the main thread with its name and stack. */
export class WorkerError extends Error {
  readonly code: string | undefined;

  constructor(serialized: SerializedError) {
    super(serialized.message);
    this.name = serialized.name;
    this.code = serialized.code;
    if (serialized.stack) this.stack = `${serialized.stack}\n    (in the training worker)`;
  }
}
