/**
 * Crash injection: a launched system saving a several-MB state every 50–100 ms is SIGKILLed inside
 * each save phase (see crash.ts for the round and its checks; soak.ts runs the same rounds by the
 * thousand). 7 rounds per phase plus a clean last start per phase: ~30 kills per backend.
 *
 * Rounds alternate between the two kill modes of crash.ts: `marker` rounds kill from the child's
 * phase hook, so a kill lands in every phase whatever the machine's load; `timed` rounds kill at a
 * random moment and count where they landed. The seed is printed with the command that replays it.
 */
import test from 'ava';
import { backend } from '../../src/backend/select.js';
import { CrashRun, CrashTally, rng, type Phase } from './crash.js';
import { specSeed } from '../helpers/seed.js';
import { tmpDir } from '../helpers/tmp.js';

/** Rounds per phase: fewer in worker mode, whose start (a worker thread importing the training module) is slower. */
const ROUNDS_PER_PHASE = { main: 7, worker: 4 } as const;

const cases: [Phase, string][] = [
  ['capture', 'keeps the newest committed state when killed while components capture their state'],
  ['write', 'keeps the newest committed state when killed while the staged files are written'],
  ['commit', 'keeps the newest committed state when killed during a commit (hashing, fsync, rename)'],
  ['remove', 'keeps the newest committed state when killed while the keeper removes old states'],
];

for (const threading of ['main', 'worker'] as const)
  for (const [phase, title] of cases) {
    test.serial(`${threading} mode: ${title}`, async (t) => {
      const seed = specSeed(t, import.meta.url);
      const dir = tmpDir(t, `pamiq-crash-${phase}-`);
      const run = new CrashRun(dir, rng(seed), { threading });
      const tally = new CrashTally();
      let markerHits = 0;
      for (let i = 0; i < ROUNDS_PER_PHASE[threading]; i++) {
        const result = await run.round(phase, i % 2 === 0 ? 'marker' : 'timed');
        if (i % 2 === 0 && result.hit === phase) markerHits++;
        tally.add(result);
      }
      const last = await run.finish();
      t.log(`${tally.summary(backend().name)}, ${threading} mode (seed ${seed})`);
      t.deepEqual([...tally.failures, ...last], [], `seed ${seed}`);
      t.is(
        markerHits,
        Math.ceil(ROUNDS_PER_PHASE[threading] / 2),
        `every marker kill lands in the ${phase} phase: ${JSON.stringify(tally.kills)}`,
      );
      t.true(tally.verified >= ROUNDS_PER_PHASE[threading]);
    });
  }
