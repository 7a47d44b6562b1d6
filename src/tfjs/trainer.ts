/**
 * A trainer base for TensorFlow.js: owns named optimizers (created by {@link TfjsTrainer.createOptimizers},
 * like PAMIQ-Core's torch trainers), runs each step in `tf.tidy` so no tensor outlives it, and saves
 * the optimizers' complete state so training resumes exactly.
 *
 * State: the Trainer's files plus `path/optimizer.<name>.msgpack` per optimizer (see optimizer-state.ts).
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { Trainer, type TrainerOptions } from '../trainer/trainer.js';
import type { TfjsModel } from './model.js';
import { checkSupported, loadOptimizer, saveOptimizer } from './optimizer-state.js';

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

export abstract class TfjsTrainer extends Trainer {
  #optimizers: Map<string, tf.Optimizer> | undefined;

  constructor(options: TrainerOptions = {}) {
    super(options);
  }

  /**
   * The optimizers by name, e.g. `{ adam: tf.train.adam(1e-3) }`. Called once, on first use of
   * {@link optimizers} (and again by loadState, which replaces them by fresh ones holding the saved state).
   */
  protected abstract createOptimizers(): Record<string, tf.Optimizer>;

  /** @throws TypeError when createOptimizers() returns a bad name or an optimizer whose state cannot be saved. */
  get optimizers(): ReadonlyMap<string, tf.Optimizer> {
    this.#optimizers ??= this.createChecked();
    return this.#optimizers;
  }

  /**
   * The optimizer `name`.
   * @throws Error when there is none of that name.
   */
  optimizer(name: string): tf.Optimizer {
    const o = this.optimizers.get(name);
    if (!o)
      throw new Error(
        `${this.constructor.name} has no optimizer '${name}' (has: ${[...this.optimizers.keys()].join(', ')})`,
      );
    return o;
  }

  /**
   * One optimization step: computes `loss()` (a scalar) inside `tf.tidy`, applies the gradients of the
   * model's trainable variables with the optimizer `optimizerName`, and returns the loss value.
   * Every intermediate tensor is disposed.
   * @throws Error when the optimizer does not exist or `loss` does not return a scalar.
   */
  minimize(optimizerName: string, model: TfjsModel, loss: () => tf.Scalar): number {
    const optimizer = this.optimizer(optimizerName);
    const varList = model.trainableVariables;
    const cost = tf.tidy(() => optimizer.minimize(loss, true, varList) ?? tf.scalar(Number.NaN)) as tf.Scalar;
    try {
      return cost.dataSync()[0]!;
    } finally {
      cost.dispose();
    }
  }

  override async saveState(path: string): Promise<void> {
    await super.saveState(path);
    for (const [name, optimizer] of this.optimizers) {
      await saveOptimizer(join(path, `optimizer.${name}.msgpack`), optimizer);
    }
  }

  /** @throws TypeError naming the file when a saved optimizer does not match the one created here. */
  override async loadState(path: string): Promise<void> {
    await super.loadState(path);
    const fresh = this.createChecked();
    try {
      for (const [name, optimizer] of fresh) await loadOptimizer(join(path, `optimizer.${name}.msgpack`), optimizer);
    } catch (err) {
      for (const o of fresh.values()) o.dispose();
      throw err;
    }
    for (const o of this.#optimizers?.values() ?? []) o.dispose();
    this.#optimizers = fresh;
  }

  /** Disposes the optimizers' variables; the next use creates new ones. */
  disposeOptimizers(): void {
    for (const o of this.#optimizers?.values() ?? []) o.dispose();
    this.#optimizers = undefined;
  }

  private createChecked(): Map<string, tf.Optimizer> {
    const created = this.createOptimizers();
    const out = new Map<string, tf.Optimizer>();
    for (const [name, optimizer] of Object.entries(created ?? {})) {
      if (!NAME.test(name))
        throw new TypeError(`Optimizer name '${name}' must be a plain file name (letters, digits, _ . -)`);
      if (!(optimizer instanceof tf.Optimizer))
        throw new TypeError(`createOptimizers(): '${name}' is not a tf.Optimizer`);
      checkSupported(optimizer);
      out.set(name, optimizer);
    }
    return out;
  }
}
