/**
 * Case "snapshot dir": a component directory copied into a state by `snapshot()` (list + clone during
 * the pause, parallel hashed copy + fsync after), against `cp -r` + `sync` of the same tree.
 *
 *   node --import tsx __test__/bench/cases/snapshot-dir.ts --json --mode make --dir SRC --files N --bytes B
 *   PAMIQ_BACKEND=native|ts node --import tsx __test__/bench/cases/snapshot-dir.ts --json --mode engine --dir SRC --out DEST [--reps 1]
 *   node --import tsx __test__/bench/cases/snapshot-dir.ts --json --mode limit --dir SRC --out DEST [--reps 1]
 *
 * `make` writes N files of B bytes each (random, so nothing is compressible) in 100 subdirectories.
 */
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backend, engine } from '../../../src/backend/select.js';
import { childArgs, gc, now, num, Recorder, str } from '../lib/common.js';

const args = childArgs(['mode', 'dir', 'out', 'files', 'bytes', 'reps']);
const mode = str(args, 'mode');
const src = str(args, 'dir');
const rec = new Recorder();

if (mode === 'make') {
  const files = num(args, 'files');
  const bytes = num(args, 'bytes');
  const data = new Uint8Array(bytes);
  for (let i = 0; i < files; i++) {
    const dir = join(src, `d${i % 100}`);
    if (i < 100) mkdirSync(dir, { recursive: true });
    randomFillSync(data);
    writeFileSync(join(dir, `f${i}.bin`), data);
  }
  execFileSync('sync');
  rec.fact('files', files);
  rec.fact('bytes', files * bytes);
  rec.emit('limit');
} else {
  const out = str(args, 'out');
  const reps = num(args, 'reps', 1);
  for (let r = 0; r < reps; r++) {
    rmSync(out, { recursive: true, force: true });
    execFileSync('sync');
    gc();
    if (mode === 'engine') {
      const e = engine();
      const t0 = now();
      const listing = await e.snapshotClone(src, out);
      const t1 = now();
      await e.snapshotCopy(src, out, listing);
      const t2 = now();
      rec.add('totalMs', t2 - t0);
      rec.add('pauseMs', t1 - t0);
      rec.fact(
        'cloned',
        listing.files.some((f) => f.cloned),
      );
    } else if (mode === 'limit') {
      const t0 = now();
      execFileSync('cp', ['-r', src, out]);
      execFileSync('sync');
      rec.add('totalMs', now() - t0);
    } else {
      throw new Error(`--mode must be make, engine or limit, got ${mode}`);
    }
  }
  rmSync(out, { recursive: true, force: true });
  rec.emit(mode === 'engine' ? backend().name : 'limit');
}
