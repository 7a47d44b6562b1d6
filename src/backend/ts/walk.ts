/** Recursive listing of a directory tree without following symlinks. */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fsError } from './fsutil.js';

export interface TreeEntry {
  /** Relative to the root, `/`-separated. */
  rel: string;
  kind: 'file' | 'dir' | 'symlink' | 'other';
}

/** Every entry below `root` (not `root` itself), parents before children. */
export async function walkTree(root: string): Promise<TreeEntry[]> {
  const out: TreeEntry[] = [];
  const visit = async (relDir: string): Promise<void> => {
    const abs = relDir === '' ? root : join(root, ...relDir.split('/'));
    let dirents;
    try {
      dirents = await readdir(abs, { withFileTypes: true });
    } catch (err) {
      throw fsError(err, abs, 'scandir');
    }
    const subdirs: string[] = [];
    for (const d of dirents) {
      const rel = relDir === '' ? d.name : `${relDir}/${d.name}`;
      const kind = d.isFile() ? 'file' : d.isDirectory() ? 'dir' : d.isSymbolicLink() ? 'symlink' : 'other';
      out.push({ rel, kind });
      if (kind === 'dir') subdirs.push(rel);
    }
    await Promise.all(subdirs.map(visit));
  };
  await visit('');
  return out;
}
