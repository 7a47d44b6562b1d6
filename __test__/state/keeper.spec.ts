import test from 'ava';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { basename, join } from 'node:path';
import { StateStore } from '../../src/state/store.js';
import { LatestStatesKeeper, StatesKeeper } from '../../src/state/keeper.js';
import { latestState, scanStates } from '../../src/state/scan.js';
import { engine } from '../../src/backend/select.js';
import { captureLogs } from '../../src/log.js';
import { Counter } from '../helpers/components.js';
import { tmpDir } from '../helpers/tmp.js';

async function makeStates(dir: string, n: number): Promise<string[]> {
  const store = new StateStore({ statesDir: dir, stateNameFormat: 's%f.state' });
  store.register('a', new Counter());
  const paths: string[] = [];
  for (let i = 0; i < n; i++) paths.push(await store.saveState());
  return paths;
}

const states = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.state'))
    .sort();

test('removes the oldest states beyond maxKeep, ordered by creation time and not by mtime', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 5);
  // Reverse the mtimes: the oldest state now looks newest to an mtime-based keeper.
  paths.forEach((p, i) => {
    utimesSync(p, new Date(), new Date(Date.now() - i * 3_600_000));
  });
  const keeper = new LatestStatesKeeper({ statesDir: dir, maxKeep: 3 });
  const removed = await keeper.cleanup();
  t.deepEqual(removed, paths.slice(0, 2));
  t.deepEqual(
    states(dir),
    paths
      .slice(2)
      .map((p) => basename(p))
      .sort(),
  );
});

test('ignores directories without a valid manifest and never lets them displace a valid state', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 2);
  mkdirSync(join(dir, 'zz-half-written.state'));
  mkdirSync(join(dir, 'zz-garbage.state'));
  writeFileSync(join(dir, 'zz-garbage.state', 'manifest.json'), '{"format":');
  const logs = captureLogs();
  const keeper = new LatestStatesKeeper({ statesDir: dir, maxKeep: 2 });
  const removed = await keeper.cleanup();
  logs.stop();
  t.deepEqual(removed, []);
  for (const p of paths) t.true(existsSync(p));
  t.regex(logs.text(), /Ignoring '.*zz-half-written\.state', not a valid state/);
  const scan = await scanStates(dir);
  t.deepEqual(
    scan.entries.filter((e) => !e.valid).map((e) => e.name),
    ['zz-garbage.state', 'zz-half-written.state'],
  );
});

test('never removes the newest committed state or the loaded one', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 3);
  class RemoveAll extends StatesKeeper {
    readonly statesDir = dir;
    override selectRemovalStates() {
      return paths;
    }
  }
  const keeper = new RemoveAll();
  keeper.protect(paths[0]!);
  keeper.recordSaved(paths[2]!);
  const removed = await keeper.cleanup();
  t.deepEqual(removed, [paths[1]]);
  t.true(existsSync(paths[0]!));
  t.true(existsSync(paths[2]!));
});

test('never removes the newest valid state of a directory, whatever a custom keeper selects', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 3);
  mkdirSync(join(dir, 'zzz-not-a-state.state'));
  class RemoveAll extends StatesKeeper {
    readonly statesDir = dir;
    override selectRemovalStates() {
      return [...paths, join(dir, 'zzz-not-a-state.state')];
    }
  }
  const logs = captureLogs();
  const removed = await new RemoveAll().cleanup();
  logs.stop();
  t.deepEqual(removed.sort(), [paths[0]!, paths[1]!].sort());
  t.true(existsSync(paths[2]!), 'the newest valid state stays');
  t.true(existsSync(join(dir, 'zzz-not-a-state.state')), 'a directory without a manifest is no state');
  t.regex(logs.text(), /Refusing to remove '.*zzz-not-a-state\.state': it has no manifest\.json/);
});

test('rejects maxKeep below 1 and an empty pattern', (t) => {
  for (const maxKeep of [0, -1, 1.5, Number.NaN]) {
    t.throws(() => new LatestStatesKeeper({ statesDir: 'x', maxKeep }), { instanceOf: RangeError, message: /maxKeep/ });
  }
  t.throws(() => new LatestStatesKeeper({ statesDir: 'x', maxKeep: 1, stateNamePattern: '' }), {
    message: /stateNamePattern/,
  });
});

test('scans the directory at cleanup, not at construction', async (t) => {
  const dir = tmpDir(t);
  const keeper = new LatestStatesKeeper({ statesDir: join(dir, 'later'), maxKeep: 1 });
  const paths = await makeStates(join(dir, 'later'), 3);
  t.deepEqual(await keeper.cleanup(), paths.slice(0, 2));
});

test('a keeper written like the guide’s SizeBasedStatesKeeper works', async (t) => {
  const dir = tmpDir(t);
  class SizeBasedStatesKeeper extends StatesKeeper {
    private statePaths: string[] = [];
    constructor(
      readonly statesDir: string,
      readonly maxTotalSizeBytes: number,
    ) {
      super();
    }
    override append(path: string) {
      this.statePaths.push(path);
    }
    override async selectRemovalStates() {
      const { entries } = await scanStates(this.statesDir);
      const byPath = new Map(entries.map((e) => [e.path, e]));
      const sorted = [...this.statePaths].sort((a, b) => byPath.get(a)!.mtimeMs - byPath.get(b)!.mtimeMs);
      let total = 0;
      const removal: string[] = [];
      for (const path of sorted.reverse()) {
        total += byPath.get(path)?.size ?? 0;
        if (total > this.maxTotalSizeBytes) removal.push(path);
      }
      this.statePaths = this.statePaths.filter((p) => !removal.includes(p));
      return removal;
    }
  }
  const paths = await makeStates(dir, 4);
  paths.forEach((p, i) => {
    utimesSync(p, new Date(), new Date(1_700_000_000_000 + i * 1000));
  });
  const oneState = (await scanStates(dir)).entries[0]!.size!;
  const keeper = new SizeBasedStatesKeeper(dir, oneState * 2);
  for (const p of paths) keeper.recordSaved(p);
  const removed = await keeper.cleanup();
  t.deepEqual(removed.sort(), paths.slice(0, 2).sort());
  t.is(states(dir).length, 2);
});

test('removal is crash-safe: the state leaves the pattern before its files are deleted', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 2);
  const keeper = new LatestStatesKeeper({ statesDir: dir, maxKeep: 1 });
  const logs = captureLogs();
  await keeper.cleanup();
  logs.stop();
  t.regex(logs.text(), new RegExp(`Removed: '${paths[0]!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}'`));
  t.deepEqual(readdirSync(dir).sort(), [basename(paths[1]!)]);
  t.true(statSync(paths[1]!).isDirectory());
});

const escapeRegExp = (p: string) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test.serial(
  'cleanup removes only states inside the keeper’s directory: statesDir, "", "..", outside paths and symlinks are refused',
  async (t) => {
    const root = tmpDir(t);
    const dir = join(root, 'states');
    const paths = await makeStates(dir, 3);
    const outside = join(root, 'outside');
    await makeStates(outside, 1);
    mkdirSync(join(root, 'work'));
    writeFileSync(join(root, 'work', 'unrelated.txt'), 'keep');
    mkdirSync(join(dir, 'notes'));
    writeFileSync(join(dir, 'notes', 'todo.txt'), 'keep');
    symlinkSync(outside, join(dir, 'link.state'));
    const cwd = process.cwd();
    process.chdir(join(root, 'work'));
    t.teardown(() => process.chdir(cwd));
    class Hostile extends StatesKeeper {
      readonly statesDir = dir;
      override selectRemovalStates() {
        return [dir, '', '..', '../..', outside, join(outside, '..'), join(dir, 'link.state', 'x'), join(dir, 'notes')];
      }
    }
    const logs = captureLogs();
    const removed = await new Hostile().cleanup();
    logs.stop();
    t.deepEqual(removed, []);
    for (const p of paths) t.true(existsSync(join(p, 'manifest.json')), p);
    t.is(readFileSync(join(root, 'work', 'unrelated.txt'), 'utf8'), 'keep');
    t.is(readFileSync(join(dir, 'notes', 'todo.txt'), 'utf8'), 'keep');
    t.true(existsSync(outside));
    t.regex(logs.text(), new RegExp(`Refusing to remove '${escapeRegExp(dir)}': it is the states directory itself`));
    t.regex(logs.text(), new RegExp(`Refusing to remove '${escapeRegExp(outside)}': it is not a state inside`));
    t.regex(
      logs.text(),
      new RegExp(`Refusing to remove '${escapeRegExp(join(root, 'work'))}': it is not a state inside`),
    );
    t.regex(logs.text(), new RegExp(`Refusing to remove '${escapeRegExp(join(dir, 'notes'))}': it has no manifest`));
  },
);

test('a keeper that does not say which directory it keeps removes nothing, with the reason', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 3);
  class Anywhere extends StatesKeeper {
    override selectRemovalStates() {
      return paths.slice(0, 2);
    }
  }
  const logs = captureLogs();
  t.deepEqual(await new Anywhere().cleanup(), []);
  logs.stop();
  t.regex(logs.text(), /does not say which states directory it keeps/);
  const keeper = new Anywhere();
  keeper.useStatesDir(dir);
  t.deepEqual((await keeper.cleanup()).sort(), paths.slice(0, 2).sort());
});

/** Changes one byte of a state's data file, keeping its size: only a checksum can tell. */
function corrupt(statePath: string) {
  const file = join(statePath, 'a', 'value.msgpack');
  const bytes = readFileSync(file);
  bytes[bytes.length - 1]! ^= 1;
  writeFileSync(file, bytes);
}

test('a newer state that does not verify never causes older good states to be removed', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 4);
  corrupt(paths[3]!);
  const logs = captureLogs();
  const removed = await new LatestStatesKeeper({ statesDir: dir, maxKeep: 1 }).cleanup();
  logs.stop();
  t.deepEqual(removed, paths.slice(0, 2), 'only states older than the newest verified one go');
  t.true(existsSync(paths[2]!), 'the newest state that verifies stays');
  t.true(existsSync(paths[3]!), 'the corrupt state is reported, not removed');
  t.regex(logs.text(), /does not verify/);
  t.is(await latestState(dir), paths[2]);
});

test('whatever a custom keeper selects, the newest state that verifies stays', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 3);
  corrupt(paths[2]!);
  class RemoveOld extends StatesKeeper {
    readonly statesDir = dir;
    override selectRemovalStates() {
      return paths.slice(0, 2);
    }
  }
  const removed = await new RemoveOld().cleanup();
  t.deepEqual(removed, [paths[0]]);
  t.is(await latestState(dir), paths[1]);
});

test.serial('a cleanup scans the directory once and verifies each state once', async (t) => {
  const dir = tmpDir(t);
  const paths = await makeStates(dir, 5);
  const e = engine();
  const calls = { scan: 0, verify: [] as string[] };
  const { scanStates: scan, verifyState: verify } = e;
  (e as { scanStates: typeof scan }).scanStates = (d, p) => {
    calls.scan++;
    return scan.call(e, d, p);
  };
  (e as { verifyState: typeof verify }).verifyState = (d) => {
    calls.verify.push(d);
    return verify.call(e, d);
  };
  t.teardown(() => Object.assign(e, { scanStates: scan, verifyState: verify }));
  const keeper = new LatestStatesKeeper({ statesDir: dir, maxKeep: 2 });
  t.deepEqual(await keeper.cleanup(), paths.slice(0, 3));
  t.is(calls.scan, 1);
  t.deepEqual(calls.verify.sort(), paths.slice(3).sort());
  const more = await makeStates(dir, 1);
  calls.scan = 0;
  calls.verify = [];
  t.deepEqual(await keeper.cleanup(), [paths[3]]);
  t.is(calls.scan, 1);
  t.deepEqual(calls.verify, more, 'only the new state is verified');
});
