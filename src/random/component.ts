/**
 * The state component `random`: the random sources of both sides of a system, so that a loaded state
 * draws exactly the numbers the saved one would have drawn next.
 *
 * Files: `random.msgpack` (the interaction side's source: the main thread's `globalRandom()`) and
 * `random/training.msgpack` (the training side's: in worker mode the training worker's own
 * `globalRandom()`; on a single thread the same source as the interaction side). The tree is the same
 * in both threading modes; a state saved before `random/training.msgpack` existed loads the training
 * side from `random.msgpack`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readStateFile } from '../persistence/component-files.js';
import type { PersistentState } from '../persistence/persistent.js';
import { globalRandom } from './global.js';

/** True when `path` (a state file) exists in the load in progress (or on disk outside one). */
export async function stateFileExists(path: string): Promise<boolean> {
  try {
    await readStateFile(path);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return false;
    throw err;
  }
}

/** The training side's half of `random` (saved into `random/training.msgpack`). */
export const trainingRandomPart: PersistentState = {
  async saveState(path: string) {
    mkdirSync(path, { recursive: true });
    await globalRandom().saveState(join(path, 'training'));
  },
  async loadState(path: string) {
    if (await stateFileExists(join(path, 'training.msgpack'))) await globalRandom().loadState(join(path, 'training'));
  },
};

/** Both halves on one thread: one source, saved for both sides. */
export class RandomSources implements PersistentState {
  async saveState(path: string): Promise<void> {
    await globalRandom().saveState(path);
    await trainingRandomPart.saveState(path);
  }

  async loadState(path: string): Promise<void> {
    await globalRandom().loadState(path);
  }
}
