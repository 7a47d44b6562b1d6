/**
 * The StateStore components of the main thread that stand for components living in the training
 * worker. Saving one captures the worker's component into the same temporary directory (the worker
 * stages its files and writes them itself in the write phase); loading one hands the worker the
 * verified bytes of that component's files.
 */
import { mkdirSync } from 'node:fs';

import type { TrainingModelsDict } from '../model/training-models-dict.js';
import { captureRoot, loadedFilesUnder } from '../persistence/capture.js';
import { stageExternal } from '../persistence/component-files.js';
import type { PersistentState } from '../persistence/persistent.js';
import { globalRandom } from '../random/global.js';
import type { TrainingWorker } from './host.js';

/** Roots whose worker files are already part of their save (one write request per save). */
const staged = new WeakMap<TrainingWorker, string>();

export class WorkerPart implements PersistentState {
  constructor(
    readonly component: string,
    private readonly worker: TrainingWorker,
    /** Runs after a load (models: take the parameters the worker published). */
    private readonly afterLoad?: () => void,
    /** Runs before a capture (data: send what the collectors hold). */
    private readonly beforeCapture?: () => void,
  ) {}

  async saveState(path: string): Promise<void> {
    const root = captureRoot();
    if (root === undefined) {
      throw new Error(`The worker's '${this.component}' can only be saved by a StateStore save`);
    }
    this.beforeCapture?.();
    await this.worker.request({ op: 'capture', root, component: this.component, path });
    if (staged.get(this.worker) !== root) {
      staged.set(this.worker, root);
      const worker = this.worker;
      stageExternal({
        write: async () => (await worker.request({ op: 'write', root })) ?? {},
        discard: async () => {
          await worker.request({ op: 'discard', root });
        },
      });
    }
  }

  async loadState(path: string): Promise<void> {
    const verified = loadedFilesUnder(path);
    const files: [string, Uint8Array][] = [];
    const transfer: ArrayBuffer[] = [];
    if (verified) {
      for (const [rel, bytes] of verified) {
        const copy = bytes.slice(); // own buffer: a view would post its whole parent buffer
        files.push([rel, copy]);
        transfer.push(copy.buffer as ArrayBuffer);
      }
    }
    await this.worker.request({ op: 'load', component: this.component, path, files }, transfer);
    this.afterLoad?.();
  }
}

/**
 * `random`: the main thread's source into `random.msgpack`, the worker's into `random/training.msgpack`
 * (see src/random/component.ts).
 */
export class RandomPart implements PersistentState {
  constructor(private readonly workerOwned: WorkerPart) {}

  async saveState(path: string): Promise<void> {
    await globalRandom().saveState(path);
    await this.workerOwned.saveState(path);
  }

  async loadState(path: string): Promise<void> {
    await globalRandom().loadState(path);
    await this.workerOwned.loadState(path);
  }
}

/**
 * `models`: the inference-thread-only models stay on the main thread and are saved here; the trained
 * ones are saved by the worker, into the same directory.
 */
export class MainModelsPart implements PersistentState {
  constructor(
    private readonly mainOwned: TrainingModelsDict,
    private readonly workerOwned: WorkerPart,
  ) {}

  async saveState(path: string): Promise<void> {
    mkdirSync(path, { recursive: true });
    await this.mainOwned.saveState(path);
    await this.workerOwned.saveState(path);
  }

  async loadState(path: string): Promise<void> {
    await this.mainOwned.loadState(path);
    await this.workerOwned.loadState(path);
  }
}
