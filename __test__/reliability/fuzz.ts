/**
 * The long fuzz: `node --import tsx __test__/reliability/fuzz.ts [--cases 100000] [--iterations 200000] [--seed N]`
 *   1. `PROPTEST_CASES=<cases> cargo test -p pamiq-engine --release --test fuzz_robustness --test props`
 *      (skipped when cargo is missing);
 *   2. the JS-level fuzz of fuzzing.ts against every loaded backend, with `--iterations` scanList inputs
 *      and a tenth as many manifests, plus the parity check when both backends load.
 * Exit code 1 on any failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nativeEngine, typescriptEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/types.js';
import { ROOT, rng } from './crash.js';
import { fuzzManifests, fuzzScanList, type FuzzStats } from './fuzzing.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string', default: '100000' },
    iterations: { type: 'string', default: '200000' },
    seed: { type: 'string' },
    'skip-cargo': { type: 'boolean', default: false },
  },
});
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
const iterations = Number(values.iterations);
let failed = false;

if (!values['skip-cargo']) {
  const probe = spawnSync('cargo', ['--version']);
  if (probe.error || probe.status !== 0) console.log('fuzz: no cargo on PATH, skipping the Rust property tests');
  else {
    console.log(`fuzz: PROPTEST_CASES=${values.cases} cargo test (fuzz_robustness, props)`);
    const r = spawnSync(
      'cargo',
      ['test', '-p', 'pamiq-engine', '--release', '--test', 'fuzz_robustness', '--test', 'props'],
      {
        cwd: ROOT,
        stdio: 'inherit',
        env: { ...process.env, PROPTEST_CASES: values.cases },
      },
    );
    if (r.status !== 0) failed = true;
  }
}

const report = (label: string, s: FuzzStats) => {
  console.log(
    `fuzz: ${label}: ${s.cases} cases, ${s.results} results, ${s.errors} errors, ${s.failures.length} failures`,
  );
  for (const f of s.failures.slice(0, 20)) console.log(`  FAILURE ${f}`);
  if (s.failures.length) failed = true;
};

const engines = [nativeEngine(), typescriptEngine()].filter((e): e is Engine => e !== undefined);
console.log(`fuzz: seed ${seed}, backends ${engines.map((e) => e.name).join(', ')}`);
const scratch = mkdtempSync(join(tmpdir(), 'pamiq-fuzz-'));
try {
  for (const [i, eng] of engines.entries()) {
    report(`scanList [${eng.name}]`, fuzzScanList(eng, iterations, rng(seed + i)));
    report(
      `manifests [${eng.name}]`,
      await fuzzManifests(eng, scratch, Math.ceil(iterations / 10), rng(seed + 10 + i)),
    );
  }
  if (engines.length === 2) {
    const [a, b] = engines as [Engine, Engine];
    report('scanList parity', fuzzScanList(a, Math.ceil(iterations / 2), rng(seed + 20), b));
    report('manifest parity', await fuzzManifests(a, scratch, Math.ceil(iterations / 20), rng(seed + 21), b));
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
console.log(failed ? 'fuzz: FAILED' : 'fuzz: no failures');
process.exit(failed ? 1 : 0);
