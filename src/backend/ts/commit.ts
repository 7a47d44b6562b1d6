/**
 * commitState: hash + fsync the files writers did not report, fsync every directory deepest first,
 * write + fsync manifest.json (format 2: the directory's next sequence number and the manifest's own
 * checksum), fsync the temporary dir, rename it into place (suffixing a taken name), fsync statesDir.
 *
 * Once the rename succeeded the state is committed: a failing fsync of statesDir after it is reported
 * as `durable: false` with `syncError`, not thrown. Test-only fault hook (shared with the native twin):
 * `PAMIQ_FAULT_FSYNC_STATES_DIR=1` at commit time makes that fsync fail.
 */
import { lstat, open, rename } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { CommitRequest, CommitResult, FileDigest, Manifest, ManifestFile } from '../types.js';
import { EngineError } from '../types.js';
import { CONCURRENCY, compareUtf8, errCode, errorText, fsError, fsyncDir, mapLimit } from './fsutil.js';
import { hashFile } from './read.js';
import { FORMAT, FORMAT_VERSION, MANIFEST_NAME, manifestChecksum, serializeManifest } from './manifest.js';
import { nextSeq } from './scan.js';
import { walkTree } from './walk.js';

/** `name` with `_n` inserted before a final `.state`, else appended. */
export function suffixedName(name: string, n: number): string {
  return name.endsWith('.state') && name.length > '.state'.length
    ? `${name.slice(0, -'.state'.length)}_${n}.state`
    : `${name}_${n}`;
}

const MAX_SUFFIX = 100_000;

/** Test-only: `=1` makes the fsync of statesDir after the rename fail (see the module docs). */
export const FAULT_FSYNC_ENV = 'PAMIQ_FAULT_FSYNC_STATES_DIR';

function checkName(name: string): void {
  if (name === '' || name.startsWith('.') || /[/\\\0]/.test(name)) {
    throw new EngineError(
      'EINVAL',
      `invalid state name ${JSON.stringify(name)}: it must be a plain name not starting with '.'`,
    );
  }
}

export async function commitState(req: CommitRequest): Promise<CommitResult> {
  checkName(req.name);
  const tmpDir = resolve(req.tmpDir);
  const statesDir = resolve(req.statesDir);
  const tree = await walkTree(tmpDir);

  const files: string[] = [];
  const dirs: string[] = [];
  for (const e of tree) {
    const abs = join(tmpDir, ...e.rel.split('/'));
    if (e.kind === 'symlink' || e.kind === 'other') {
      throw new EngineError('EBADENTRY', `'${abs}': not a regular file or directory (symlink or special file)`);
    }
    if (e.kind === 'dir') dirs.push(e.rel);
    // A stray root manifest.json is not listed; the commit overwrites it.
    else if (e.rel !== MANIFEST_NAME) files.push(e.rel);
  }

  // Hash + fsync the unknown files; trust the writers' digests for the known ones.
  const digests = await mapLimit(files, CONCURRENCY, async (rel): Promise<FileDigest> => {
    const known = Object.hasOwn(req.known, rel) ? req.known[rel] : undefined;
    if (known) return { size: known.size, xxh3: known.xxh3 };
    return hashFile(join(tmpDir, ...rel.split('/')), { sync: true });
  });
  const entries: ManifestFile[] = files.map((path, i) => ({ path, size: digests[i]!.size, xxh3: digests[i]!.xxh3 }));
  entries.sort((a, b) => compareUtf8(a.path, b.path));

  // Directories deepest first (then by path, for a stable order).
  const depth = (rel: string): number => rel.split('/').length;
  dirs.sort((a, b) => depth(b) - depth(a) || compareUtf8(a, b));
  // One depth level at a time (in parallel within a level): every directory after everything inside it.
  for (let i = 0; i < dirs.length; ) {
    let j = i;
    while (j < dirs.length && depth(dirs[j]!) === depth(dirs[i]!)) j++;
    await mapLimit(dirs.slice(i, j), CONCURRENCY, (rel) => fsyncDir(join(tmpDir, ...rel.split('/'))));
    i = j;
  }

  const manifest: Manifest = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    library: { name: req.library.name, version: req.library.version },
    createdAtNs: req.createdAtNs,
    seq: await nextSeq(statesDir),
    components: [...req.components],
    files: entries,
  };
  manifest.manifestXxh3 = manifestChecksum(manifest);
  const manifestPath = join(tmpDir, MANIFEST_NAME);
  let fh;
  try {
    fh = await open(manifestPath, 'w');
  } catch (err) {
    throw fsError(err, manifestPath, 'open');
  }
  try {
    await fh.writeFile(serializeManifest(manifest), 'utf8');
    await fh.sync();
  } catch (err) {
    throw fsError(err, manifestPath, 'write');
  } finally {
    await fh.close().catch(() => undefined);
  }
  await fsyncDir(tmpDir);

  // Rename into place; a taken name gets a suffix.
  let name = req.name;
  for (let n = 1; ; n++) {
    const target = join(statesDir, name);
    let taken = true;
    try {
      await lstat(target);
    } catch (err) {
      if (errCode(err) !== 'ENOENT') throw fsError(err, target, 'stat');
      taken = false;
    }
    if (!taken) {
      try {
        await rename(tmpDir, target);
        break;
      } catch (err) {
        const code = errCode(err);
        // Someone took the name in between: try the next one.
        if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw fsError(err, target, `rename '${tmpDir}' ->`);
      }
    }
    if (n > MAX_SUFFIX) throw new EngineError('EIO', `no free name for '${join(statesDir, req.name)}'`);
    name = suffixedName(req.name, n);
  }
  const result: CommitResult = { path: join(statesDir, name), name, manifest, durable: true };
  try {
    if (process.env[FAULT_FSYNC_ENV]?.trim() === '1') {
      throw new EngineError('EIO', `fsync directory '${statesDir}': Input/output error (injected)`);
    }
    await fsyncDir(statesDir);
  } catch (err) {
    result.durable = false;
    result.syncError = errorText(err);
  }
  return result;
}
