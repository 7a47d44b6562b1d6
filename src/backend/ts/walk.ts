/** Recursive listing of a directory tree without following symlinks. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { EngineError } from '../types.js';
import { fsError, retryOnFds } from './fsutil.js';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export interface TreeEntry {
  /** Relative to the root, `/`-separated. */
  rel: string;
  kind: 'file' | 'dir' | 'symlink' | 'other';
}

/**
 * Every entry below `root` (not `root` itself), parents before children. A name that is not valid UTF-8
 * is an EBADENTRY error (as in the native twin): it could not be named in a manifest.
 */
export async function walkTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const visit = async (relDir: string): Promise<void> => {
    const abs = relDir === '' ? root : join(root, ...relDir.split('/'));
    let dirents;
    try {
      dirents = await retryOnFds(() => readdir(abs, { withFileTypes: true, encoding: 'buffer' }));
    } catch (err) {
      throw fsError(err, abs, 'scandir');
    }
    const subdirs: string[] = [];
    for (const d of dirents) {
      let name: string;
      try {
        name = utf8.decode(d.name);
      } catch {
        throw new EngineError('EBADENTRY', `'${join(abs, d.name.toString('utf8'))}': file name is not valid UTF-8`);
      }
      const rel = relDir === '' ? name : `${relDir}/${name}`;
      const kind = d.isFile() ? 'file' : d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'symlink' : 'other';
      out.push({ rel, kind });
      if (kind === 'dir') subdirs.push(rel);
    }
    await Promise.all(subdirs.map(visit));
  };
  await visit('');
  return out;
}
