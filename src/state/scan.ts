/**
 * Public helpers over the engine's scans: list the states of a directory, and find the newest one that
 * verifies.
 */
import { existsSync } from 'node:fs';
import { engine } from '../backend/select.js';
import type { ScanResult, StateEntry } from '../backend/types.js';
import { getLogger } from '../log.js';
import { DEFAULT_STATE_NAME_PATTERN } from './names.js';
import { resolveStatesDir } from './statesdir.js';

const log = getLogger('state.scan');

/**
 * Lists `statesDir`: valid states oldest first (by manifest creation time, then name), then the
 * entries that match the pattern but are not valid states, with the reason. A missing directory
 * lists as empty.
 */
export async function scanStates(statesDir: string, pattern = DEFAULT_STATE_NAME_PATTERN): Promise<ScanResult> {
  const dir = resolveStatesDir(statesDir);
  if (!existsSync(dir)) return { entries: [], leftovers: [] };
  return engine().scanStates(dir, pattern);
}

/**
 * The newest state in `statesDir` whose files all verify, or undefined when there is none. States
 * that fail verification are skipped with a warning naming the fault.
 */
export async function latestState(
  statesDir: string,
  pattern = DEFAULT_STATE_NAME_PATTERN,
): Promise<string | undefined> {
  const { entries } = await scanStates(statesDir, pattern);
  const valid = entries.filter((e) => e.valid).reverse();
  for (const entry of valid) {
    try {
      const report = await engine().verifyState(entry.path);
      if (report.problems.length === 0) return entry.path;
      const faults = report.problems.map((p) => `${p.path}: ${p.fault}`).join(', ');
      log.warn(`Skipping state '${entry.path}': ${faults}`);
    } catch (err) {
      log.warn(`Skipping state '${entry.path}': ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return undefined;
}

export type { StateEntry, ScanResult };
