/**
 * Case 4: a LatestStatesKeeper (maxKeep `--keep`) over a states directory holding `--states` valid
 * states. One state is written by a StateStore, then copied with distinct names and `createdAtNs`
 * edited in its manifest (and the manifest resealed: its own checksum recomputed).
 *
 * Measures, warm cache:
 * - `floorMs`: fs.readdir + fs.stat of every entry from Node (promises, all at once), and the same
 *   with the sync calls (`floorSyncMs`) — the least any scan costs;
 * - `selectMs`: keeper.selectRemovalStates() — scan (list, stat, parse every manifest), order, select;
 *   `--reps` times;
 * - `cleanupMs`: keeper.cleanup() — the same scan and selection, the verification of the newest
 *   `--keep` states (each once), then the crash-safe removal of all but them; once (it consumes the
 *   directory);
 * - `rescanMs`: selectRemovalStates() again on the keeper that just cleaned up (what a running system
 *   pays after each save);
 * - with `--peer-python PY` (a Python with pamiq-core 0.6.0), PAMIQ-Core's LatestStatesKeeper over the
 *   same states in the same run (peer/keeper_peer.py): `peerConstructMs` (its constructor: glob + stat
 *   of every state, `--reps` times) and `peerCleanupMs` (construct + cleanup, which rmtree's all but
 *   `--keep`, over a copy of the directory).
 *
 *   PAMIQ_BACKEND=native|ts node --import tsx __test__/bench/cases/keeper.ts --json --dir DIR --states 10000 [--keep 10] [--reps 1] [--peer-python PY]
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { backend } from '../../../src/backend/select.js';
import { LatestStatesKeeper } from '../../../src/state/keeper.js';
import { DEFAULT_STATE_NAME_FORMAT, formatStateName } from '../../../src/state/names.js';
import { childArgs, gc, now, num, Recorder, str } from '../lib/common.js';
import { filledBuffer, recordItem, storeFor } from '../lib/data.js';
import { sealManifest } from '../../helpers/seal.js';

const args = childArgs(['dir', 'states', 'keep', 'reps', 'peer-python']);
const peerPython = typeof args['peer-python'] === 'string' ? args['peer-python'] : undefined;
const root = str(args, 'dir');
const count = num(args, 'states');
const maxKeep = num(args, 'keep', 10);
const reps = num(args, 'reps', 1);
const rec = new Recorder();

// ---- the template state ----
const templateDir = join(root, 'template');
const { users } = filledBuffer(16, recordItem);
const template = await storeFor(templateDir, users).saveState();
const files: { rel: string; bytes: Buffer }[] = [];
const walk = (dir: string) => {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name !== 'manifest.json')
      files.push({ rel: relative(template, p).split(sep).join('/'), bytes: readFileSync(p) });
  }
};
walk(template);
const manifest = JSON.parse(readFileSync(join(template, 'manifest.json'), 'utf8')) as {
  createdAtNs: string;
  seq?: number;
};
const subdirs = [...new Set(files.map((f) => dirname(f.rel)).filter((d) => d !== '.'))];
rmSync(templateDir, { recursive: true, force: true });

// ---- the copies: names 1 ms apart, created in a shuffled order so mtimes do not follow names ----
const statesDir = join(root, 'states');
mkdirSync(statesDir, { recursive: true });
const base = BigInt(manifest.createdAtNs) - BigInt(count) * 1_000_000n;
const order = Array.from({ length: count }, (_, i) => i);
for (let i = count - 1; i > 0; i--) {
  const j = Math.floor(Math.random() * (i + 1));
  [order[i], order[j]] = [order[j]!, order[i]!];
}
let t = now();
for (const i of order) {
  const ns = base + BigInt(i) * 1_000_000n;
  const dir = join(statesDir, formatStateName(DEFAULT_STATE_NAME_FORMAT, ns));
  mkdirSync(dir);
  for (const d of subdirs) mkdirSync(join(dir, d), { recursive: true });
  for (const f of files) writeFileSync(join(dir, f.rel), f.bytes);
  writeFileSync(
    join(dir, 'manifest.json'),
    sealManifest({ ...manifest, createdAtNs: ns.toString(), ...(manifest.seq === undefined ? {} : { seq: i + 1 }) }),
  );
}
rec.fact('createMs', now() - t);
rec.fact('states', count);
rec.fact('filesPerState', files.length + 1);

// ---- floor: list + stat from Node ----
for (let r = 0; r < reps; r++) {
  gc();
  let t0 = now();
  const names = await readdir(statesDir);
  const stats = await Promise.all(names.map((n) => stat(join(statesDir, n))));
  rec.add('floorMs', now() - t0);
  if (stats.length !== count) throw new Error(`listed ${stats.length} entries, expected ${count}`);
  t0 = now();
  for (const n of readdirSync(statesDir)) statSync(join(statesDir, n));
  rec.add('floorSyncMs', now() - t0);
}

// ---- PAMIQ-Core, same states, same run ----
if (peerPython !== undefined) {
  const script = fileURLToPath(new URL('../peer/keeper_peer.py', import.meta.url));
  const peer = (mode: string, dir: string, n: number) =>
    JSON.parse(
      execFileSync(peerPython, [script, mode, dir, String(n)], { encoding: 'utf8', maxBuffer: 1 << 20 })
        .trim()
        .split('\n')
        .pop()!,
    ) as Record<string, number | number[]>;
  for (const v of peer('construct', statesDir, reps).constructMs as number[]) rec.add('peerConstructMs', v);
  const copy = join(root, 'states-peer');
  execFileSync('cp', ['-a', statesDir, copy]);
  const r = peer('cleanup', copy, maxKeep);
  if (r.removed !== count - maxKeep)
    throw new Error(`PAMIQ-Core removed ${String(r.removed)}, expected ${count - maxKeep}`);
  rec.add('peerCleanupMs', (r.constructMs as number) + (r.cleanupMs as number));
  rmSync(copy, { recursive: true, force: true });
}

// ---- the keeper ----
const keeper = new LatestStatesKeeper({ statesDir, maxKeep });
for (let r = 0; r < reps; r++) {
  gc();
  const t0 = now();
  const cpu = process.cpuUsage();
  const selected = await keeper.selectRemovalStates();
  rec.add('selectMs', now() - t0);
  const used = process.cpuUsage(cpu);
  rec.add('selectUserCpuMs', used.user / 1000);
  rec.add('selectSysCpuMs', used.system / 1000);
  if (selected.length !== count - maxKeep) throw new Error(`selected ${selected.length}, expected ${count - maxKeep}`);
}
gc();
t = now();
const cpu = process.cpuUsage();
const removed = await keeper.cleanup();
rec.add('cleanupMs', now() - t);
// CPU of every thread of the process (JS, libuv pool, engine pool): user and kernel time.
const used = process.cpuUsage(cpu);
rec.add('cleanupUserCpuMs', used.user / 1000);
rec.add('cleanupSysCpuMs', used.system / 1000);
gc();
t = now();
await keeper.selectRemovalStates();
rec.add('rescanMs', now() - t);
const left = readdirSync(statesDir).filter((n) => !n.startsWith('.'));
if (removed.length !== count - maxKeep || left.length !== maxKeep) {
  throw new Error(
    `cleanup removed ${removed.length} and left ${left.length}, expected ${count - maxKeep} and ${maxKeep}`,
  );
}
// The survivors must be the newest by createdAtNs.
const newest = Array.from({ length: maxKeep }, (_, k) =>
  formatStateName(DEFAULT_STATE_NAME_FORMAT, base + BigInt(count - 1 - k) * 1_000_000n),
);
if (!newest.every((n) => left.includes(n))) throw new Error('cleanup kept states other than the newest');
rmSync(statesDir, { recursive: true, force: true });
rec.emit(backend().name);
