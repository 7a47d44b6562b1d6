/**
 * Case 7, `loop under training`: a 100 Hz agent (FixedIntervalInteraction) while a trainer burns
 * `--burn` ms of CPU per run, allocating, continuously, in `--threading worker` or `main` mode.
 * Scenarios:
 *   train         `--seconds` of steps: steps done vs expected, p99 and longest gap between step starts;
 *   save          the same while a state of `--fill` Float32Array(`--width`) items is saved: longest gap
 *                 during the save vs its wall time;
 *   records       the agent collects `--per-step` {obs, action, reward, value} number records per step:
 *                 records per second into the training side's buffer, and the gaps;
 *   frames        the agent collects `--per-step` Float32Array(`--width`) per step: MB/s, and the gaps.
 *
 *   PAMIQ_BACKEND=native|ts node --import tsx __test__/bench/cases/loop-training.ts --json --dir DIR \
 *     --threading worker --scenario train [--seconds 5] [--burn 100] [--interval 0.01]
 */
import { setTimeout as delay } from 'node:timers/promises';
import { backend } from '../../../src/backend/select.js';
import { Agent, type DataCollector, Environment, FixedIntervalInteraction, launch } from '../../../src/index.js';
import { childArgs, now, num, Recorder, str } from '../lib/common.js';

const args = childArgs(['dir', 'threading', 'scenario', 'seconds', 'burn', 'interval', 'fill', 'width', 'per-step']);
const statesDir = str(args, 'dir');
const threading = str(args, 'threading') as 'worker' | 'main';
const scenario = str(args, 'scenario');
const seconds = num(args, 'seconds', 5);
const burnMs = num(args, 'burn', 100);
const interval = num(args, 'interval', 0.01);
const fill = scenario === 'save' ? num(args, 'fill', 100_000) : 0;
const width = num(args, 'width', 1024);
const perStep = num(args, 'per-step', scenario === 'frames' ? 20 : 2000);
const rec = new Recorder();
const steps: number[] = [];

class Clock extends Environment<number, number> {
  observe(): number {
    const t = now();
    steps.push(t);
    return t;
  }
  affect(): void {}
}

let collected = 0;
let collecting = scenario === 'records' || scenario === 'frames';
class Producer extends Agent<number, number> {
  private records!: DataCollector<unknown>;
  private frames!: DataCollector<unknown>;
  override onDataCollectorsAttached(): void {
    this.records = this.getDataCollector('records');
    this.frames = this.getDataCollector('frames');
  }
  step(t: number): number {
    if (!collecting) return t;
    if (scenario === 'records') {
      for (let i = 0; i < perStep; i++) {
        this.records.collect({ obs: i * 0.5, action: i & 3, reward: 1 / (i + 1), value: -i });
      }
    } else {
      for (let i = 0; i < perStep; i++) this.frames.collect(new Float32Array(width).fill(i));
    }
    collected += perStep;
    return t;
  }
}

const shared = new SharedArrayBuffer(8);
const counters = new Int32Array(shared);
const launched = launch({
  interaction: FixedIntervalInteraction.withSleepAdjustor(new Producer(), new Clock(), interval),
  training: new URL('./loop-training-module.ts', import.meta.url),
  trainingOptions: { burnMs, shared, fill, width },
  config: { statesDir, handleSignals: false, threading },
});

function gapsBetween(from: number, to: number): number[] {
  const gaps: number[] = [];
  for (let k = 1; k < steps.length; k++) {
    if (steps[k - 1]! >= from && steps[k]! <= to) gaps.push(steps[k]! - steps[k - 1]!);
  }
  return gaps;
}
const p99 = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] ?? NaN;
};

// Warm up: the training side runs and the loop has stepped.
while (Atomics.load(counters, 0) < 2 || steps.length < 10) await delay(20);

if (scenario === 'save') {
  const t0 = now();
  await launched.system.saveState();
  const t1 = now();
  const gaps = gapsBetween(t0, t1);
  rec.add('saveWallMs', t1 - t0);
  rec.add('longestGapMs', Math.max(...gaps, 0));
  rec.add('gapShare', Math.max(...gaps, 0) / (t1 - t0));
} else {
  const movedBefore = Atomics.load(counters, 1);
  const collectedBefore = collected;
  const t0 = now();
  const stepsBefore = steps.length;
  await delay(seconds * 1000);
  const t1 = now();
  collecting = false;
  const done = steps.length - stepsBefore;
  const gaps = gapsBetween(t0, t1);
  rec.add('stepsShare', done / ((t1 - t0) / 1000 / interval));
  rec.add('p99GapMs', p99(gaps));
  rec.add('longestGapMs', Math.max(...gaps, 0));
  rec.add('trainingRuns', Atomics.load(counters, 0));
  if (scenario === 'records' || scenario === 'frames') {
    // Everything collected in the window must reach the buffers: wait for the trainer to move it.
    const target = movedBefore + (collected - collectedBefore);
    while (Atomics.load(counters, 1) < target) await delay(5);
    const t2 = now();
    const items = collected - collectedBefore;
    rec.add('itemsPerSecond', items / ((t2 - t0) / 1000));
    if (scenario === 'frames') rec.add('mbPerSecond', (items * width * 4) / 1e6 / ((t2 - t0) / 1000));
  }
}

launched.system.shutdown();
const result = await launched;
if (result.failedSaves.length) throw new Error(`saves failed: ${String(result.failedSaves[0])}`);
rec.fact('threading', threading);
rec.fact('intervalMs', interval * 1000);
rec.emit(backend().name);
