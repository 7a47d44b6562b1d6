/**
 * The I/O limits of cases 1 and 2, with no engine involved:
 *
 * - `--mode write`: one sequential write of `--bytes` bytes (one buffer, one write call, resumed only
 *   after a partial write) to one new file, then fsync — what a perfect save would cost;
 * - `--mode read`: fs.readFile of that file (after dropping the page cache with --cold, when permitted).
 *
 *   node --import tsx __test__/bench/cases/limit-io.ts --json --mode write --file F --bytes N [--reps 1] [--keep]
 *   node --import tsx __test__/bench/cases/limit-io.ts --json --mode read --file F [--reps 1] [--cold]
 *   node --import tsx __test__/bench/cases/limit-io.ts --json --mode warm --file F --bytes N --count K
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, fsyncSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { childArgs, dropCaches, gc, now, num, Recorder, str } from '../lib/common.js';

const args = childArgs(['mode', 'file', 'bytes', 'reps', 'count'], ['keep', 'cold']);
const mode = str(args, 'mode');
const file = str(args, 'file');
const reps = num(args, 'reps', 1);
const rec = new Recorder();

if (mode === 'write') {
  const bytes = num(args, 'bytes');
  // Random bytes: nothing for a virtual disk to detect as zero or compress.
  const data = new Uint8Array(bytes);
  for (let off = 0; off < bytes; off += 1 << 30) randomFillSync(data, off, Math.min(1 << 30, bytes - off));
  for (let r = 0; r < reps; r++) {
    rmSync(file, { force: true });
    gc();
    const t0 = now();
    const fd = openSync(file, 'wx');
    let done = 0;
    while (done < bytes) done += writeSync(fd, data, done, bytes - done);
    fsyncSync(fd);
    closeSync(fd);
    const ms = now() - t0;
    rec.add('writeMs', ms);
    rec.add('throughputMBs', bytes / 1e6 / (ms / 1000));
  }
  rec.fact('bytes', bytes);
  if (!args.keep) rmSync(file, { force: true });
} else if (mode === 'warm') {
  // Warm-up (untimed): write and fsync `--count` files of `--bytes`, then delete them, so that the
  // measured writes land on blocks the (virtual) disk has seen before, like every later save does.
  const bytes = num(args, 'bytes');
  const data = new Uint8Array(bytes);
  randomFillSync(data, 0, Math.min(bytes, 1 << 30));
  const files = Array.from({ length: num(args, 'count', 1) }, (_, i) => `${file}.${i}`);
  for (const f of files) {
    const fd = openSync(f, 'w');
    let done = 0;
    while (done < bytes) done += writeSync(fd, data, done, bytes - done);
    fsyncSync(fd);
    closeSync(fd);
  }
  for (const f of files) rmSync(f, { force: true });
} else if (mode === 'read') {
  const bytes = statSync(file).size;
  let cold = Boolean(args.cold);
  for (let r = 0; r < reps; r++) {
    gc();
    if (cold && !dropCaches()) cold = false;
    const t0 = now();
    const data = await readFile(file);
    const ms = now() - t0;
    if (data.length !== bytes) throw new Error(`read ${data.length} bytes, expected ${bytes}`);
    rec.add('readMs', ms);
    rec.add('throughputMBs', bytes / 1e6 / (ms / 1000));
  }
  rec.fact('bytes', bytes);
  rec.fact('cache', cold ? 'cold' : 'warm');
} else {
  throw new Error(`--mode must be write or read, got ${mode}`);
}
rec.emit('limit');
