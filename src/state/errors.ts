/**
 * Errors of the state store. Each has a stable `code` so callers and the CLI can tell them apart
 * without parsing messages.
 */
import type { Problem } from '../backend/types.js';

export class StateError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The path does not exist. */
export class StateNotFoundError extends StateError {
  constructor(readonly path: string) {
    super('ENOENT', `State path '${path}' not found`);
  }
}

/** The state's files do not match its manifest. Nothing was loaded. */
export class StateCorruptError extends StateError {
  constructor(
    readonly path: string,
    readonly problems: Problem[],
  ) {
    const list = problems.map((p) => `  ${p.path}: ${p.fault} (${p.detail})`).join('\n');
    super('ECORRUPT', `State '${path}' is corrupt; ${problems.length} problem(s):\n${list}`);
  }
}

/** The state's components differ from the registered ones. Nothing was loaded. */
export class StateMismatchError extends StateError {
  constructor(
    readonly path: string,
    readonly missing: string[],
    readonly unexpected: string[],
  ) {
    const parts = [];
    if (missing.length) parts.push(`registered but not in the state: ${missing.join(', ')}`);
    if (unexpected.length) parts.push(`in the state but not registered: ${unexpected.join(', ')}`);
    super(
      'EMISMATCH',
      `State '${path}' does not match the registered components (${parts.join('; ')}). ` +
        'Pass { partial: true } to load the components both have.',
    );
  }
}

/** A save failed; earlier states are untouched and the temporary directory was removed. */
export class SaveError extends StateError {
  constructor(message: string, cause: unknown) {
    super('ESAVE', `${message}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Another live process holds the states directory. */
export class StatesDirLockedError extends StateError {
  constructor(
    readonly statesDir: string,
    readonly holderPid: number,
    since: string,
    /** What to do when the holder cannot be checked (appended to the message); empty otherwise. */
    hint = '',
  ) {
    super(
      'ELOCKED',
      `States directory '${statesDir}' is in use by process ${holderPid} (since ${since}); ` +
        'two systems must not write the same states directory.' +
        hint,
    );
  }
}

/**
 * A save whose state is committed (renamed into place under `path`; it verifies and loads) but not
 * durable: the states directory could not be fsynced after the rename, so after a power loss the state
 * may be gone. Not a {@link SaveError}: the state exists and callers must treat it as saved (the control
 * loop tells the keeper about it) while reporting the failure.
 */
export class StateNotDurableError extends StateError {
  constructor(
    readonly path: string,
    readonly syncError: string,
  ) {
    super(
      'ENOTDURABLE',
      `State '${path}' is committed but not durable: the states directory could not be fsynced after the rename (${syncError}); ` +
        'it loads now but may be lost on a power failure',
    );
  }
}
