/**
 * Case 5: a launched system whose interaction steps at a fixed interval (FixedIntervalInteraction,
 * `--interval` s) while a state holding `--records` Float32Array(`--width`) items is saved `--saves`
 * times. Reports the longest gap between two step starts during each save (request → commit) and the
 * save's wall time; the pause of the two-phase save is the capture only.
 *
 *   PAMIQ_BACKEND=native|ts node --import tsx __test__/bench/cases/loop-stall.ts --json \
 *     --dir DIR --records 100000 [--width 1024] [--interval 0.01] [--saves 1]
 *
 * PAMIQ_BENCH_DEBUG=1 prints every slow step (gap > 3 intervals) around each save to stderr.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { backend } from '../../../src/backend/select.js';
import { SequentialBuffer } from '../../../src/data/index.js';
import { Agent, Environment, FixedIntervalInteraction } from '../../../src/interaction/index.js';
import { launch } from '../../../src/launch/index.js';
import { childArgs, now, num, Recorder, str } from '../lib/common.js';
import { tensorItem } from '../lib/data.js';

const args = childArgs(['dir', 'records', 'width', 'interval', 'saves']);
const statesDir = str(args, 'dir');
const records = num(args, 'records');
const width = num(args, 'width', 1024);
const interval = num(args, 'interval', 0.01);
const saves = num(args, 'saves', 1);
const rec = new Recorder();

/** Step start times (performance.now() ms). */
const steps: number[] = [];

class Clock extends Environment<number, number> {
  observe(): number {
    const t = now();
    steps.push(t);
    return t;
  }
  affect(): void {}
}

class Idle extends Agent<number, number> {
  step(observation: number): number {
    return observation;
  }
}

const buffer = new SequentialBuffer<Float32Array>(records);
const interaction = FixedIntervalInteraction.withSleepAdjustor(new Idle(), new Clock(), interval);
// Filled before the launch (the collector path is measured by the other cases); the state is the same.
for (let i = 0; i < records; i++) buffer.add(tensorItem(i, width));

/** The longest distance between consecutive step starts that overlaps [from, to]. */
function longestGap(from: number, to: number): { gap: number; count: number } {
  let gap = 0;
  let count = 0;
  for (let k = 1; k < steps.length; k++) {
    const a = steps[k - 1]!;
    const b = steps[k]!;
    if (b <= from || a >= to) continue;
    gap = Math.max(gap, b - a);
    count++;
  }
  return { gap, count };
}

const launched = launch({ interaction, buffers: { big: buffer }, config: { statesDir, handleSignals: false } });

// Let the loop settle, then take the gaps of one second without a save as the baseline.
await delay(300);
let t0 = now();
await delay(1000);
const base = longestGap(t0, now());
rec.fact('baselineGapMs', base.gap);
rec.fact('baselineSteps', base.count);

for (let s = 0; s < saves; s++) {
  t0 = now();
  await launched.system.saveState();
  const t1 = now();
  const { gap, count } = longestGap(t0, t1);
  rec.add('saveWallMs', t1 - t0);
  rec.add('longestGapMs', gap);
  rec.add('gapShare', gap / (t1 - t0));
  rec.add('stepsDuringSave', count);
  if (process.env.PAMIQ_BENCH_DEBUG) {
    const slow = steps.flatMap((b, k) =>
      k > 0 && b > t0 - 1500 && b - steps[k - 1]! > 3 * interval * 1000
        ? [[+(steps[k - 1]! - t0).toFixed(1), +(b - steps[k - 1]!).toFixed(1)]]
        : [],
    );
    process.stderr.write(`slow steps (start after request ms, gap ms): ${JSON.stringify(slow)}\n`);
  }
  await delay(200);
}

launched.system.shutdown();
const result = await launched;
for (const saved of result.savedStates.slice(0, saves)) rec.add('pausedMs', saved.pausedMs);
if (result.savedStates.length !== saves + 1 || result.failedSaves.length) {
  throw new Error(
    `expected ${saves} saves and the final one, got ${result.savedStates.length} (${result.failedSaves.length} failed)`,
  );
}
rec.fact('intervalMs', interval * 1000);
rec.emit(backend().name);
