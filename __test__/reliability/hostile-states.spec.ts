/**
 * Hostile or careless input the state engine must survive, on the backend PAMIQ_BACKEND selects (the
 * suite runs this file once per backend): arrays mutated or detached while a save writes them, manifest
 * bit flips and clocks that jumped, FIFOs and oversized manifests, symlinked path components, a low
 * file-descriptor limit, and file names that are not UTF-8.
 */
import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, renameSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engine } from '../../src/backend/select.js';
import { EngineError } from '../../src/backend/types.js';
import { stageFile } from '../../src/persistence/component-files.js';
import type { PersistentState } from '../../src/persistence/persistent.js';
import { statePhases, type StatePhaseEvent } from '../../src/state/phases.js';
import { latestState, scanStates } from '../../src/state/scan.js';
import { StateStore } from '../../src/state/store.js';
import { SaveError } from '../../src/state/errors.js';
import { Counter, EpisodeStats } from '../helpers/components.js';
import { tmpDir } from '../helpers/tmp.js';

const backend = engine().name;
const here = fileURLToPath(new URL('.', import.meta.url));
const FIXTURE_V1 = join(here, '..', '..', 'conformance', 'states', 'format-1', 'counter.state');

/** Resolves when the next phase `phase` of a save is published. */
function onPhase(phase: StatePhaseEvent['phase']): Promise<void> {
  return new Promise((resolve) => {
    const listener = (e: unknown) => {
      if ((e as StatePhaseEvent).phase === phase) {
        statePhases.unsubscribe(listener);
        resolve();
      }
    };
    statePhases.subscribe(listener);
  });
}

/** A component that stages its typed arrays as they are (zero-copy): what ML code collecting observations does. */
class Observations implements PersistentState {
  constructor(readonly arrays: () => ArrayBufferView[]) {}
  async saveState(path: string) {
    await stageFile(join(path, 'obs.bin'), () => this.arrays());
  }
  loadState() {}
}

async function commitTree(
  t: ExecutionContext,
  statesDir: string,
  name: string,
  createdAtNs: string,
  files: Record<string, string>,
) {
  const tmp = join(statesDir, `.pamiq-tmp-${name}`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(tmp, rel, '..'), { recursive: true });
    writeFileSync(join(tmp, rel), text);
  }
  const r = await engine().commitState({
    tmpDir: tmp,
    statesDir,
    name,
    known: {},
    library: { name: 'pamiq-core', version: '0.1.0' },
    createdAtNs,
    components: ['a'],
  });
  t.true(r.durable);
  return r;
}

// ---- 4. arrays mutated or detached while the save writes them ----

test(`${backend}: an observation array mutated during the write phase never gives a state that fails verification`, async (t) => {
  const statesDir = tmpDir(t);
  const obs = new Float32Array(4 << 20); // 16 MB, staged 4 times by reference
  const store = new StateStore({ statesDir, stateNameFormat: 'm.state' });
  store.register('obs', new Observations(() => [obs, obs, obs, obs]));
  for (let round = 0; round < 3; round++) {
    const pending = await store.capture();
    let mutating = true;
    let writes = 0;
    // Mutate the array on the event loop for as long as the write phase runs.
    const mutate = () => {
      if (!mutating) return;
      obs.fill(++writes);
      setImmediate(mutate);
    };
    const started = onPhase('write:start').then(() => setImmediate(mutate));
    const path = await pending.commit();
    mutating = false;
    await started;
    const report = await engine().verifyState(path);
    t.deepEqual(
      report.problems,
      [],
      `round ${round}: the committed state verifies (${writes} mutations during the write)`,
    );
  }
});

test(`${backend}: a staged array whose buffer was transferred away is refused with a clear error, not written short`, async (t) => {
  const statesDir = tmpDir(t);
  const a = new Float64Array(1024).fill(1);
  const b = new Float64Array(1024).fill(2);
  const store = new StateStore({ statesDir, stateNameFormat: 'd.state' });
  store.register('obs', {
    async saveState(path: string) {
      await stageFile(join(path, 'obs.bin'), async function* () {
        yield [a];
        structuredClone(b.buffer, { transfer: [b.buffer] }); // detached between two batches
        yield [b];
      });
    },
    loadState() {},
  });
  const err = await t.throwsAsync(store.saveState(), { instanceOf: SaveError });
  t.regex(err!.message, /detached ArrayBuffer/);
  t.deepEqual((await scanStates(statesDir, '*')).entries, [], 'nothing was committed');
});

// ---- 7. the manifest's own checksum, sequence numbers, format 1 ----

test(`${backend}: a one-bit flip anywhere in a committed manifest fails verification`, async (t) => {
  const statesDir = tmpDir(t);
  const r = await commitTree(t, statesDir, 's.state', '1764075695123456789', { 'a/x.bin': 'xyz' });
  const p = join(r.path, 'manifest.json');
  const good = readFileSync(p);
  let refused = 0;
  for (let i = 0; i < good.length; i++) {
    for (let bit = 0; bit < 8; bit++) {
      const bad = Buffer.from(good);
      bad[i]! ^= 1 << bit;
      writeFileSync(p, bad);
      const err = await engine()
        .verifyState(r.path)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      if (err instanceof EngineError && (err.code === 'EBADMANIFEST' || err.code === 'ENEWERFORMAT')) refused++;
      else
        t.fail(
          `byte ${i} bit ${bit} (${JSON.stringify(good.toString('latin1', Math.max(0, i - 8), i + 8))}) was accepted`,
        );
    }
  }
  t.is(refused, good.length * 8);
  writeFileSync(p, good);
  t.deepEqual((await engine().verifyState(r.path)).problems, []);
});

test(`${backend}: a clock that was ahead and then corrected does not make the older state the latest`, async (t) => {
  const statesDir = tmpDir(t);
  await commitTree(t, statesDir, 'ahead.state', '9999999999000000000', { 'a/x.bin': '1' }); // year 2286
  const later = await commitTree(t, statesDir, 'later.state', '1764075695000000000', { 'a/x.bin': '2' });
  t.is(later.manifest.seq, 2);
  t.is(await latestState(statesDir, '*.state'), later.path);
  const names = (await scanStates(statesDir, '*.state')).entries.map((e) => [e.name, e.seq]);
  t.deepEqual(names, [
    ['ahead.state', 1],
    ['later.state', 2],
  ]);
});

test(`${backend}: a state of format 1 still loads`, async (t) => {
  const statesDir = tmpDir(t);
  const path = join(statesDir, 'counter.state');
  cpSync(FIXTURE_V1, path, { recursive: true });
  const report = await engine().verifyState(path);
  t.is(report.manifest.formatVersion, 1);
  t.is(report.manifest.seq, undefined);
  t.deepEqual(report.problems, []);
  const store = new StateStore({ statesDir });
  const counter = new Counter();
  const stats = new EpisodeStats();
  store.register('counter', counter);
  store.register('stats', stats);
  await store.loadState(path);
  t.is(counter.value, 42);
  t.is(stats.episodeCount, 7);
  t.is(stats.totalReward, 3.5);
  // A new save next to it gets seq 1 and is the latest.
  const saved = await store.saveState();
  t.is((await engine().verifyState(saved)).manifest.seq, 1);
  t.is(await latestState(statesDir, '*.state'), saved);
});

// ---- 8, 9. FIFOs and oversized manifests ----

test(`${backend}: a FIFO named manifest.json is refused at once by verify, scan and latestState`, async (t) => {
  const statesDir = tmpDir(t);
  const good = await commitTree(t, statesDir, 'good.state', '1', { 'a/x.bin': 'x' });
  mkdirSync(join(statesDir, 'fifo.state'));
  execFileSync('mkfifo', [join(statesDir, 'fifo.state', 'manifest.json')]);
  mkdirSync(join(good.path, 'sub'));
  execFileSync('mkfifo', [join(good.path, 'sub', 'manifest.json')]); // deeper: just an unexpected entry
  const err = await t.throwsAsync(engine().verifyState(join(statesDir, 'fifo.state')), { instanceOf: EngineError });
  t.is(err!.code, 'EBADMANIFEST');
  t.regex(err!.message, /manifest\.json: not a regular file$/);
  const scan = await scanStates(statesDir, '*.state');
  t.deepEqual(
    scan.entries.map((e) => [e.name, e.valid, e.reason]),
    [
      ['good.state', true, undefined],
      ['fifo.state', false, 'manifest.json: not a regular file'],
    ],
  );
  t.is(await latestState(statesDir, '*.state'), undefined, 'good.state has an unexpected FIFO: skipped, not hung on');
});

test(`${backend}: manifests are bounded: a sparse 8 GiB file and a symlink to /dev/zero are refused unread`, async (t) => {
  const statesDir = tmpDir(t);
  mkdirSync(join(statesDir, 'sparse.state'));
  writeFileSync(join(statesDir, 'sparse.state', 'manifest.json'), '');
  truncateSync(join(statesDir, 'sparse.state', 'manifest.json'), 8 * 1024 ** 3);
  mkdirSync(join(statesDir, 'zero.state'));
  symlinkSync('/dev/zero', join(statesDir, 'zero.state', 'manifest.json'));
  const e1 = await t.throwsAsync(engine().verifyState(join(statesDir, 'sparse.state')), { instanceOf: EngineError });
  t.is(e1!.code, 'EBADMANIFEST');
  t.regex(e1!.message, /manifest\.json: larger than 67108864 bytes$/);
  const e2 = await t.throwsAsync(engine().readState(join(statesDir, 'zero.state')), { instanceOf: EngineError });
  t.is(e2!.code, 'EBADMANIFEST');
  t.regex(e2!.message, /manifest\.json: not a regular file$/);
  const reasons = (await scanStates(statesDir, '*.state')).entries.map((e) => [e.name, e.reason]);
  t.deepEqual(reasons, [
    ['sparse.state', 'manifest.json: larger than 67108864 bytes'],
    ['zero.state', 'manifest.json: not a regular file'],
  ]);
});

// ---- 11. never leave the state directory ----

test(`${backend}: verify never follows a symlinked directory out of the state`, async (t) => {
  const root = tmpDir(t);
  const statesDir = join(root, 'states');
  mkdirSync(statesDir);
  const r = await commitTree(t, statesDir, 's.state', '1', { 'a/b/secret.bin': 'same bytes' });
  mkdirSync(join(root, 'outside', 'b'), { recursive: true });
  writeFileSync(join(root, 'outside', 'b', 'secret.bin'), 'same bytes'); // would verify if followed
  renameSync(join(r.path, 'a'), join(root, 'moved'));
  symlinkSync(join(root, 'outside'), join(r.path, 'a'));
  const report = await engine().verifyState(r.path);
  t.deepEqual(report.problems, [
    { path: 'a', fault: 'unexpected', detail: 'not listed in the manifest' },
    { path: 'a/b/secret.bin', fault: 'unreadable', detail: 'a directory on its path is a symlink or not a directory' },
  ]);
  const read = await engine().readState(r.path);
  t.is(read.files.size, 0);
});

// ---- smaller: descriptor limit, non-UTF-8 names ----

test(`${backend}: saves, reads and verifies many files with the file-descriptor limit at 40`, (t) => {
  const statesDir = tmpDir(t);
  const child = join(here, 'fd-limit-child.ts');
  const r = spawnSync(
    'sh',
    ['-c', `ulimit -n 40 && exec "${process.execPath}" --import tsx "${child}" "${statesDir}"`],
    {
      env: { ...process.env, PAMIQ_BACKEND: backend },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  t.is(r.status, 0, `child failed:\n${r.stdout}\n${r.stderr}`);
  t.regex(r.stdout, /^ok 300 files/m);
});

test(`${backend}: a file name that is not UTF-8 fails a save with EBADENTRY`, async (t) => {
  const statesDir = tmpDir(t);
  const tmp = join(statesDir, '.pamiq-tmp-u');
  mkdirSync(tmp);
  writeFileSync(Buffer.concat([Buffer.from(`${tmp}/bad-`), Buffer.from([0xff, 0xfe]), Buffer.from('.bin')]), 'x');
  const req = {
    tmpDir: tmp,
    statesDir,
    name: 'u.state',
    known: {},
    library: { name: 'x', version: '1' },
    createdAtNs: '1',
    components: [],
  };
  const err = await t.throwsAsync(engine().commitState(req), { instanceOf: EngineError });
  t.is(err!.code, 'EBADENTRY');
  t.is(err!.message, `'${tmp}/bad-\ufffd\ufffd.bin': file name is not valid UTF-8`);
});
