import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PersistentState } from '../persistence/persistent.js';

/** Called by the inference thread when it starts and when it ends. */
export interface InteractionEvents {
  setup(): void | Promise<void>;
  teardown(): void | Promise<void>;
}

/** Called when the system pauses (e.g. for a save) and resumes. */
export interface ThreadEvents {
  onPaused(): void | Promise<void>;
  onResumed(): void | Promise<void>;
}

/**
 * Base of every interaction-side part (agents, environments, sensors, actuators, wrappers): the
 * lifecycle hooks and the persistence methods, all no-ops. Containers override them to forward to
 * their parts, in order, awaiting each; a subclass that overrides one should await `super` first.
 */
export abstract class InteractionComponent implements InteractionEvents, ThreadEvents, PersistentState {
  setup(): void | Promise<void> {}
  teardown(): void | Promise<void> {}
  onPaused(): void | Promise<void> {}
  onResumed(): void | Promise<void> {}
  saveState(_path: string): void | Promise<void> {}
  loadState(_path: string): void | Promise<void> {}
}

type Hook = 'setup' | 'teardown' | 'onPaused' | 'onResumed';

/** Calls `hook` on each part in order, awaiting each. */
export async function forward(parts: Iterable<InteractionEvents & ThreadEvents>, hook: Hook): Promise<void> {
  for (const part of parts) await part[hook]();
}

/** Saves each `[subdir, part]` into `path/<subdir>`, creating `path`. */
export async function saveParts(path: string, parts: Iterable<readonly [string, PersistentState]>): Promise<void> {
  mkdirSync(path, { recursive: true });
  for (const [name, part] of parts) await part.saveState(join(path, name));
}

/** Loads each `[subdir, part]` from `path/<subdir>`. */
export async function loadParts(path: string, parts: Iterable<readonly [string, PersistentState]>): Promise<void> {
  for (const [name, part] of parts) await part.loadState(join(path, name));
}
