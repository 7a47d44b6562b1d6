/**
 * Crash injection: a launched system saving a several-MB state every 50–100 ms is SIGKILLed inside
 * each save phase (see crash.ts for the round and its checks; soak.ts runs the same rounds by the
 * thousand). 7 rounds per phase plus a clean last start per phase: ~30 kills per backend.
 */
import test from 'ava';
import { backend } from '../../src/backend/select.js';
import { CrashRun, CrashTally, rng, type Phase } from './crash.js';
import { tmpDir } from '../helpers/tmp.js';

/** Rounds per phase: fewer in worker mode, whose start (a worker thread importing the training module) is slower. */
const ROUNDS_PER_PHASE = { main: 7, worker: 4 } as const;
const seed = Number(process.env.PAMIQ_CRASH_SEED ?? Date.now() % 2 ** 31);

const cases: [Phase, string][] = [
  ['capture', 'keeps the newest committed state when killed while components capture their state'],
  ['write', 'keeps the newest committed state when killed while the staged files are written'],
  ['commit', 'keeps the newest committed state when killed during a commit (hashing, fsync, rename)'],
  ['remove', 'keeps the newest committed state when killed while the keeper removes old states'],
];

for (const threading of ['main', 'worker'] as const)
for (const [phase, title] of cases) {
  test.serial(`${threading} mode: ${title}`, async (t) => {
    const dir = tmpDir(t, `pamiq-crash-${phase}-`);
    // A worker-mode child starts a thread that imports the training module first: allow it more time on a loaded machine.
    const run = new CrashRun(dir, rng(seed + phase.length), { threading, roundTimeoutMs: threading === 'worker' ? 60_000 : 20_000 });
    const tally = new CrashTally();
    for (let i = 0; i < ROUNDS_PER_PHASE[threading]; i++) tally.add(await run.round(phase));
    const last = await run.finish();
    t.log(`${tally.summary(backend().name)}, ${threading} mode (seed ${seed})`);
    t.deepEqual([...tally.failures, ...last], [], `seed ${seed}`);
    t.true(tally.kills[phase] >= 1, `no kill landed in the ${phase} phase: ${JSON.stringify(tally.kills)}`);
    t.true(tally.verified >= ROUNDS_PER_PHASE[threading]);
  });
}
