/** scanStates: list a states directory, match names, parse manifests; report leftovers. */
import { compileGlob } from '../glob.js';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ScanResult, StateEntry } from '../types.js';
import { CONCURRENCY, compareUtf8, fsError, isOutOfFds, mapLimit, osText } from './fsutil.js';
import { ManifestRejection, parseManifest, readManifestBytes } from './manifest.js';

export const TMP_PREFIX = '.pamiq-tmp-';
export const TRASH_PREFIX = '.pamiq-trash-';

export function isLeftover(name: string): boolean {
  return name.startsWith(TMP_PREFIX) || name.startsWith(TRASH_PREFIX);
}

/** Lists the names in `dir`. */
export async function listNames(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    throw fsError(err, dir, 'scandir');
  }
}

/** The entry of `dir/name`; undefined when it is no directory (or vanished): such entries are no states. */
async function inspect(dir: string, name: string): Promise<StateEntry | undefined> {
  const path = join(dir, name);
  let st;
  try {
    st = await stat(path);
  } catch {
    return undefined;
  }
  if (!st.isDirectory()) return undefined;
  const base = { name, path, mtimeMs: st.mtimeMs };
  let got;
  try {
    got = await readManifestBytes(path);
  } catch (err) {
    if (isOutOfFds(err)) throw err; // mapLimit lowers the concurrency and retries
    return { ...base, valid: false, reason: `manifest.json: ${osText(err)}` };
  }
  if ('missing' in got) return { ...base, valid: false, reason: 'no manifest.json' };
  if ('refused' in got) return { ...base, valid: false, reason: got.refused };
  const bytes = got.bytes;
  let m;
  try {
    m = parseManifest(bytes);
  } catch (err) {
    if (err instanceof ManifestRejection) return { ...base, valid: false, reason: err.reason };
    throw err;
  }
  const rest = { size: m.files.reduce((s, f) => s + f.size, 0), fileCount: m.files.length, components: m.components };
  return m.seq === undefined
    ? { ...base, valid: true, createdAtNs: m.createdAtNs, ...rest }
    : { ...base, valid: true, createdAtNs: m.createdAtNs, seq: m.seq, ...rest };
}

/**
 * Recency order of valid entries: sequence number (format 1 counts as 0), then creation time, then
 * name. The sequence number comes first so that a wall clock that jumped cannot reorder states.
 */
export function compareRecency(a: StateEntry, b: StateEntry): number {
  return (a.seq ?? 0) - (b.seq ?? 0) || compareNs(a.createdAtNs!, b.createdAtNs!) || compareUtf8(a.name, b.name);
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/**
 * The sequence number of the next state saved into `dir`: one more than the largest `seq` of any valid
 * state directory in it (every name not starting with `.`; format-1 states count as 0), 1 when there
 * is none; saturates at 2^53 − 1. See the native twin's `next_seq`.
 */
export async function nextSeq(dirIn: string): Promise<number> {
  const dir = resolve(dirIn);
  const names = (await listNames(dir)).filter((n) => !n.startsWith('.'));
  const found = await mapLimit(names, CONCURRENCY, (name) => inspect(dir, name));
  let max = -1;
  for (const e of found) if (e?.seq !== undefined && e.seq > max) max = e.seq;
  return max < 0 ? 1 : Math.min(max + 1, MAX_SAFE);
}

function compareNs(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export async function scanStates(dirIn: string, pattern: string): Promise<ScanResult> {
  const isMatch = compileGlob(pattern);
  const dir = resolve(dirIn);
  const names = await listNames(dir);
  const leftovers: string[] = [];
  const candidates: string[] = [];
  for (const name of names) {
    if (name.startsWith('.')) {
      if (isLeftover(name)) leftovers.push(name);
      continue;
    }
    if (isMatch(name)) candidates.push(name);
  }
  const found = await mapLimit(candidates, CONCURRENCY, (name) => inspect(dir, name));
  const entries = found.filter((e): e is StateEntry => e !== undefined);
  const valid = entries.filter((e) => e.valid);
  const invalid = entries.filter((e) => !e.valid);
  valid.sort(compareRecency);
  invalid.sort((a, b) => compareUtf8(a.name, b.name));
  leftovers.sort(compareUtf8);
  return { entries: [...valid, ...invalid], leftovers };
}
