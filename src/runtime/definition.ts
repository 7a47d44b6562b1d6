/**
 * The training side of a system, defined in a module of its own so that a worker thread can import
 * it and construct its own trainers, models and buffers.
 *
 * ```ts
 * // training.ts
 * export default defineTraining({
 *   models: () => ({ policy: new LinearModel(8) }),        // built in BOTH threads (main keeps the inference models)
 *   buffers: () => ({ experience: new SequentialBuffer(['x', 'y'], 10_000) }),  // training thread only
 *   trainers: () => ({ policy: new PolicyTrainer() }),      // training thread only
 * });
 * ```
 */
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DataBuffer } from '../data/buffer.js';
import type { Named } from '../data/named.js';
import type { TrainingModel } from '../model/training-model.js';
import type { Trainer } from '../trainer/trainer.js';

type Factory<T, O> = (options: O) => T | Promise<T>;

/** The factories of the training side. Each receives launch's `trainingOptions`. */
export interface TrainingDefinition<O = any> {
  /**
   * The training models. Called in the training thread, and in the main thread too, where only the
   * inference models (and inference-thread-only models) are kept — so constructing a model must not
   * start training or hold exclusive resources.
   */
  models?: Factory<Named<TrainingModel<any>>, O>;
  /** The data buffers the trainers read. Called in the training thread only. */
  buffers?: Factory<Named<DataBuffer<any, any>>, O>;
  /** The trainers. Called in the training thread only. */
  trainers?: Factory<Named<Trainer>, O>;
}

/** Marks (and type-checks) a module's default export as the training side of a system. */
export function defineTraining<O = undefined>(definition: TrainingDefinition<O>): TrainingDefinition<O> {
  return definition;
}

/** A training module given to launch: a path (relative to the working directory) or a file: URL. */
export type TrainingModule = string | URL;

/** The absolute file: URL of `spec`, the same in every thread. */
export function trainingModuleUrl(spec: TrainingModule): string {
  if (spec instanceof URL) return spec.href;
  if (/^file:/.test(spec)) return spec;
  return pathToFileURL(isAbsolute(spec) ? spec : resolve(spec)).href;
}

/** An invalid training module: not found, no default export, or factories that are not functions. */
export class TrainingModuleError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TrainingModuleError';
  }
}

/**
 * Imports the training module and checks its default export (or `training` export).
 * @throws TrainingModuleError naming the module and what was wrong.
 */
export async function importTraining(url: string): Promise<TrainingDefinition> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new TrainingModuleError(
      `Cannot import the training module '${url}': ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
  const def = (mod.default ?? mod.training) as unknown;
  if (typeof def !== 'object' || def === null) {
    throw new TrainingModuleError(
      `The training module '${url}' must export defineTraining({ models, buffers, trainers }) as its default export`,
    );
  }
  for (const key of ['models', 'buffers', 'trainers'] as const) {
    const f = (def as Record<string, unknown>)[key];
    if (f !== undefined && typeof f !== 'function') {
      throw new TrainingModuleError(
        `The training module '${url}': '${key}' must be a function returning the ${key} by name, got ${typeof f}`,
      );
    }
  }
  return def as TrainingDefinition;
}
