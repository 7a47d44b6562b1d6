/** scanStates: list a states directory, match names, parse manifests; report leftovers. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import picomatch from 'picomatch';
import type { ScanResult, StateEntry } from '../types.js';
import { CONCURRENCY, compareUtf8, errCode, fsError, mapLimit, osText } from './fsutil.js';
import { MANIFEST_NAME, ManifestRejection, parseManifest } from './manifest.js';

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
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(path, MANIFEST_NAME));
  } catch (err) {
    const reason = errCode(err) === 'ENOENT' ? 'no manifest.json' : `manifest.json: ${osText(err)}`;
    return { ...base, valid: false, reason };
  }
  let m;
  try {
    m = parseManifest(bytes);
  } catch (err) {
    if (err instanceof ManifestRejection) return { ...base, valid: false, reason: err.reason };
    throw err;
  }
  return {
    ...base,
    valid: true,
    createdAtNs: m.createdAtNs,
    size: m.files.reduce((s, f) => s + f.size, 0),
    fileCount: m.files.length,
    components: m.components,
  };
}

function compareNs(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export async function scanStates(dirIn: string, pattern: string): Promise<ScanResult> {
  const dir = resolve(dirIn);
  const names = await listNames(dir);
  const isMatch = picomatch(pattern);
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
  valid.sort((a, b) => compareNs(a.createdAtNs!, b.createdAtNs!) || compareUtf8(a.name, b.name));
  invalid.sort((a, b) => compareUtf8(a.name, b.name));
  leftovers.sort(compareUtf8);
  return { entries: [...valid, ...invalid], leftovers };
}
