/**
 * Corruption: every file of a state in turn is flipped, truncated and deleted. `pamiq states verify`
 * and StateStore.loadState name the file and the fault and load nothing; latestState() and
 * `savedStatePath: "latest"` skip the bad state with a warning and take the newest valid one.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../src/backend/types.js';
import { captureLogs, setLogLevel } from '../../src/log.js';
import { launch } from '../../src/launch/launch.js';
import { latestState } from '../../src/state/scan.js';
import { StateCorruptError } from '../../src/state/errors.js';
import { buildSystem, makeState, snapshotOf, storeFor } from './fixtures/system.js';
import { ROOT } from './crash.js';
import { tmpDir } from '../helpers/tmp.js';
import { sealManifest } from '../helpers/seal.js';

type Fault = 'flip' | 'truncate' | 'delete';
const FAULTS: Fault[] = ['flip', 'truncate', 'delete'];
const EXPECTED: Record<Fault, string> = { flip: 'checksum', truncate: 'size', delete: 'missing' };

function corrupt(file: string, fault: Fault) {
  if (fault === 'delete') return unlinkSync(file);
  const bytes = readFileSync(file);
  if (fault === 'truncate') return truncateSync(file, Math.floor(bytes.length / 2));
  bytes[Math.floor(bytes.length / 2)] ^= 0xff;
  writeFileSync(file, bytes);
}

const manifestOf = (state: string) => JSON.parse(readFileSync(join(state, 'manifest.json'), 'utf8')) as Manifest;

/** A copy of `state` named `name` in `dir`, optionally created `laterNs` after the original (a valid manifest still). */
function copyState(state: string, dir: string, name: string, laterNs = 0n): string {
  const copy = join(dir, name);
  cpSync(state, copy, { recursive: true });
  if (laterNs) {
    const m = manifestOf(copy);
    m.createdAtNs = (BigInt(m.createdAtNs) + laterNs).toString();
    writeFileSync(join(copy, 'manifest.json'), sealManifest(m));
  }
  return copy;
}

interface Case {
  copy: string;
  file: string;
  fault: string;
  /** For the manifest cases: the error code; else the problem's fault kind. */
  expect: { code: string } | { fault: string };
}

function corruptedCopies(pristine: string, dir: string): Case[] {
  mkdirSync(dir, { recursive: true });
  const cases: Case[] = [];
  manifestOf(pristine).files.forEach((f, i) => {
    for (const fault of FAULTS) {
      const copy = copyState(pristine, dir, `file${String(i).padStart(2, '0')}-${fault}.state`);
      corrupt(join(copy, f.path), fault);
      cases.push({ copy, file: f.path, fault, expect: { fault: EXPECTED[fault] } });
    }
  });
  const manifestCases: [string, (m: string) => void, string][] = [
    ['flip', (p) => writeFileSync(p, `[${readFileSync(p, 'utf8').slice(1)}`), 'EBADMANIFEST'],
    ['truncate', (p) => truncateSync(p, Math.floor(readFileSync(p).length / 2)), 'EBADMANIFEST'],
    ['delete', (p) => unlinkSync(p), 'ENOTSTATE'],
  ];
  for (const [fault, apply, code] of manifestCases) {
    const copy = copyState(pristine, dir, `manifest-${fault}.state`);
    apply(join(copy, 'manifest.json'));
    cases.push({ copy, file: 'manifest.json', fault, expect: { code } });
  }
  // A checksum altered inside a still valid manifest blames the file it describes.
  const copy = copyState(pristine, dir, 'manifest-checksum.state');
  const m = manifestOf(copy);
  const target = m.files[0]!;
  target.xxh3 = target.xxh3.slice(0, -1) + (target.xxh3.endsWith('0') ? '1' : '0');
  writeFileSync(join(copy, 'manifest.json'), sealManifest(m));
  cases.push({ copy, file: target.path, fault: 'checksum in the manifest', expect: { fault: 'checksum' } });
  return cases;
}

let pristine: string;
let base: string;

test.before(async () => {
  setLogLevel('warn');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  base = mkdtempSync(join(tmpdir(), 'pamiq-corrupt-'));
  pristine = await makeState(join(base, 'source'));
});

test.after.always(async () => {
  const { rmSync } = await import('node:fs');
  if (base) rmSync(base, { recursive: true, force: true });
});

test.serial(
  'loadState names the file and the fault of every flipped, truncated or deleted file, and loads nothing',
  async (t) => {
    const cases = corruptedCopies(pristine, join(base, 'load'));
    t.true(cases.length >= 3 * 20, `${cases.length} cases`);
    for (const c of cases) {
      const sys = buildSystem({ size: 'small' });
      const store = storeFor(sys, base);
      const before = JSON.stringify(snapshotOf(sys));
      const err = await t.throwsAsync(store.loadState(c.copy), undefined, `${c.file} ${c.fault}`);
      const what = `${c.file} ${c.fault}: ${err?.message}`;
      if ('code' in c.expect) {
        t.is((err as { code?: string }).code, c.expect.code, what);
        t.true(err!.message.includes('manifest.json'), what);
      } else {
        t.true(err instanceof StateCorruptError, what);
        const problems = (err as StateCorruptError).problems.map((p) => [p.path, p.fault]);
        t.deepEqual(problems, [[c.file, c.expect.fault]], what);
        t.true(err!.message.includes(`${c.file}: ${c.expect.fault}`), what);
      }
      t.is(JSON.stringify(snapshotOf(sys)), before, `nothing was loaded (${what})`);
    }
    // The pristine state still loads.
    const store = storeFor(buildSystem({ size: 'small' }), base);
    await t.notThrowsAsync(store.loadState(pristine));
  },
);

test.serial('`pamiq states verify` names the file and the fault of every corrupted copy and exits 1', async (t) => {
  const dir = join(base, 'cli');
  const cases = corruptedCopies(pristine, dir);
  copyState(pristine, dir, 'zz-good.state');
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'states', 'verify', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
    });
  const all = cli(dir);
  t.is(all.status, 1, all.stderr);
  const lines = all.stdout.split('\n');
  for (const c of cases) {
    const line = lines.find((l) => l.startsWith(`BAD  ${c.copy}:`));
    t.truthy(line, `no BAD line for ${c.copy}:\n${all.stdout}`);
    if ('fault' in c.expect) t.true(line!.includes(`${c.file}: ${c.expect.fault}`), line);
    else t.true(line!.includes('manifest.json'), line);
  }
  t.true(lines.includes(`OK   ${join(dir, 'zz-good.state')}`), all.stdout);
  t.true(all.stdout.includes(`1 verified, ${cases.length} bad`), all.stdout);

  const one = cli(cases[0]!.copy);
  t.is(one.status, 1);
  t.true(one.stdout.includes(`${cases[0]!.file}: checksum`), one.stdout);
  const good = cli(pristine);
  t.is(good.status, 0, good.stdout + good.stderr);
  t.true(good.stdout.includes('1 verified, 0 bad'));
});

test.serial('latestState() skips a corrupt newer state with a warning naming the file and the fault', async (t) => {
  const file = manifestOf(pristine).files.find((f) => f.path.startsWith('data/'))!.path;
  for (const fault of FAULTS) {
    const dir = join(base, `latest-${fault}`);
    mkdirSync(dir);
    const older = copyState(pristine, dir, 'a-older.state');
    const newer = copyState(pristine, dir, 'b-newer.state', 1_000_000_000n);
    t.is(await latestState(dir), newer, 'the newer copy wins while intact');
    corrupt(join(newer, file), fault);
    const logs = captureLogs();
    const latest = await latestState(dir);
    logs.stop();
    t.is(latest, older, fault);
    t.true(logs.text().includes(`Skipping state '${newer}': ${file}: ${EXPECTED[fault]}`), logs.text());
  }
});

test.serial(
  'launch with savedStatePath "latest" skips a corrupt newest state and loads the newest valid one',
  async (t) => {
    const dir = tmpDir(t, 'pamiq-corrupt-launch-');
    const older = copyState(pristine, dir, 'a-older.state');
    const newer = copyState(pristine, dir, 'b-newer.state', 1_000_000_000n);
    const file = manifestOf(pristine).files.find((f) => f.path.startsWith('models/'))!.path;
    corrupt(join(newer, file), 'flip');
    const expected = JSON.stringify(
      snapshotOf(
        await (async () => {
          const sys = buildSystem({ size: 'small' });
          await storeFor(sys, dir).loadState(older);
          return sys;
        })(),
      ),
    );

    const sys = buildSystem({ size: 'small' });
    let loaded = '';
    sys.environment.setup = () => {
      loaded = JSON.stringify(snapshotOf(sys));
    };
    const badBytes = readFileSync(join(newer, file));
    const logs = captureLogs();
    const result = await launch({
      ...sys.launchOptions(),
      config: { statesDir: dir, savedStatePath: 'latest', maxUptime: 0.2, handleSignals: false },
    });
    logs.stop();
    t.is(result.loadedStatePath, older);
    t.is(loaded, expected, 'the system started from the older state');
    t.true(logs.text().includes(`Skipping state '${newer}': ${file}: checksum`), logs.text());
    // The bad state is left for inspection, untouched.
    t.deepEqual(readFileSync(join(newer, file)), badBytes);
  },
);
