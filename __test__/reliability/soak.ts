/**
 * The long crash-injection run: `npm run soak -- --rounds 1000 [--seed N] [--size large|small] [--threading main|worker]`.
 * Uses the backend of PAMIQ_BACKEND (both when unset: native first, if it loads, then ts), the same
 * round logic as crash.spec.ts (crash.ts), cycling the target phase. Prints progress and one summary
 * line per backend:
 *   backend ts: rounds 1000, kills per phase: capture …, write …, commit …, remove …, between saves …,
 *   states verified …, leftovers cleaned …, failures 0 (states lost: 0)
 * Exit code 1 when any round failed.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHILD, CrashRun, CrashTally, PHASES, ROOT, rng } from './crash.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '200' },
    seed: { type: 'string' },
    size: { type: 'string', default: 'large' },
    'restart-every': { type: 'string', default: '100' },
    threading: { type: 'string', default: 'main' },
  },
});
const rounds = Number(values.rounds);
const seed = values.seed !== undefined ? Number(values.seed) : Date.now() % 2 ** 31;
const size = values.size === 'small' ? 'small' : 'large';
const restartEvery = Number(values['restart-every']);
const threading = values.threading === 'worker' ? 'worker' : 'main';
if (values.threading !== 'worker' && values.threading !== 'main') {
  throw new Error(`--threading must be 'main' or 'worker', got ${values.threading}`);
}
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds must be a positive integer, got ${values.rounds}`);

if (!process.env.PAMIQ_BACKEND) {
  // Run once per backend, each in its own process (the backend is chosen at import).
  const probe = spawnSync(
    process.execPath,
    ['--import', 'tsx', '-e', "const m = await import('./src/backend/select.ts'); console.log(m.backend().name)"],
    { cwd: ROOT, encoding: 'utf8' },
  );
  const backends = probe.stdout.trim().endsWith('native') ? ['native', 'ts'] : ['ts'];
  if (backends.length === 1) console.log('soak: the native backend does not load; running the TypeScript backend only');
  let status = 0;
  for (const b of backends) {
    const r = spawnSync(process.execPath, ['--import', 'tsx', ...process.argv.slice(1)], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, PAMIQ_BACKEND: b },
    });
    status ||= r.status ?? 1;
  }
  process.exit(status);
}

const { backend } = await import('../../src/backend/select.js');
const name = backend().name;
console.log(`soak: backend ${name}, ${rounds} rounds, seed ${seed}, ${size} state, ${threading} mode, child ${CHILD}`);
const random = rng(seed);
const tally = new CrashTally();
const begin = Date.now();
let dir = '';
let run: CrashRun | undefined;
const finishRun = async () => {
  if (!run) return;
  for (const f of await run.finish()) tally.failures.push(`final start in ${dir}: ${f}`);
  if (tally.failures.length === 0) rmSync(dir, { recursive: true, force: true });
};
for (let i = 0; i < rounds; i++) {
  if (i % restartEvery === 0) {
    await finishRun();
    dir = mkdtempSync(join(tmpdir(), `pamiq-soak-${name}-`));
    run = new CrashRun(dir, random, { size, threading });
  }
  const target = PHASES[Math.floor(random() * PHASES.length)]!;
  const result = await run!.round(target);
  tally.add(result, ` in ${dir}`);
  for (const f of result.failures) console.log(`FAILURE round ${i + 1} (target ${target}, hit ${result.hit}): ${f}`);
  if ((i + 1) % 25 === 0 || i + 1 === rounds) {
    console.log(`  ${i + 1}/${rounds} rounds, ${((Date.now() - begin) / 1000).toFixed(0)} s — ${tally.summary(name)}`);
  }
}
await finishRun();
console.log(`${tally.summary(name)}, ${threading} mode`);
if (tally.failures.length) {
  console.log(`failures kept in ${dir}; seed ${seed}`);
  process.exit(1);
}
