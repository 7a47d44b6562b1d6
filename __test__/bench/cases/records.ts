/**
 * Records of fields, saved and loaded `--reps` times, by one of:
 * - `ours`: a SequentialBuffer filled through the collector, saved by a StateStore (capture + commit)
 *   and loaded into a fresh buffer; `firstUseMs` is the first getData() after the load;
 * - `v8` / `msgpackr`: the plain-Node alternatives, `v8.serialize` / msgpackr (records extension) of
 *   the same array of items, written with one writeFile + fsync of the file and its directory, read
 *   back with readFile + deserialize.
 * `--shape fields`: `{obs, action, reward, value}` numbers; `bytes`: `{obs: Uint8Array(4096), reward}`.
 *
 *   PAMIQ_BACKEND=native|ts node --import tsx __test__/bench/cases/records.ts --json \
 *     --dir DIR --shape fields --records 1000000 --mode ours [--reps 1]
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import v8 from 'node:v8';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Packr } from 'msgpackr';
import { childArgs, gc, now, num, PhaseClock, Recorder, str, treeSize } from '../lib/common.js';

const args = childArgs(['dir', 'records', 'reps', 'shape', 'mode']);
const dir = str(args, 'dir');
const records = num(args, 'records');
const reps = num(args, 'reps', 1);
const shape = str(args, 'shape');
const mode = str(args, 'mode');
if (shape !== 'fields' && shape !== 'bytes') throw new Error(`--shape must be fields or bytes, got ${shape}`);
if (mode !== 'ours' && mode !== 'v8' && mode !== 'msgpackr')
  throw new Error(`--mode must be ours, v8 or msgpackr, got ${mode}`);
const rec = new Recorder();
const { bytesRecord, fieldRecord } = await import('../lib/data.js');
const make: (i: number) => Record<string, unknown> = shape === 'fields' ? fieldRecord : bytesRecord;

function same(a: Record<string, unknown> | undefined, b: Record<string, unknown>): boolean {
  if (!a) return false;
  for (const k of Object.keys(b)) {
    const x = a[k];
    const y = b[k];
    if (y instanceof Uint8Array) {
      if (!(x instanceof Uint8Array) || x.length !== y.length || x.some((v, i) => v !== y[i])) return false;
    } else if (!Object.is(x, y)) return false;
  }
  return Object.keys(a).length === Object.keys(b).length;
}

function check(items: unknown[]): void {
  for (const i of [0, records >> 1, records - 1]) {
    if (!same(items[i] as Record<string, unknown>, make(i))) throw new Error(`item ${i} differs after the load`);
  }
  if (items.length !== records) throw new Error(`${items.length} items loaded, ${records} saved`);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Lets the event loop idle for `ms` (after a forced collection, its concurrent sweeping ends meanwhile). */
async function settle(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

if (mode === 'ours') {
  const { backend } = await import('../../../src/backend/select.js');
  const { emptyBuffer, filledBuffer, storeFor } = await import('../lib/data.js');
  const { users } = filledBuffer(records, make);
  const store = storeFor(dir, users);
  const phases = new PhaseClock();
  // The agent's loop is probed two ways, each over the save's window and over a window of the same length
  // without a save (what the machine alone does: its scheduling noise):
  // - a 1 ms timer chain (each tick arms the next): the longest gap between ticks;
  // - perf_hooks.monitorEventLoopDelay at 1 ms resolution: its max delay (how late a 1 ms timer ran).
  // A 100 Hz timer would not do: its own 10 ms tick is more than 5% of a 130–230 ms save.
  // On Linux each tick also reads the thread's schedstat (ns on a CPU, ns runnable but waiting for one), so
  // the longest gap splits into the agent's own work and the time the scheduler gave its CPU to others.
  const schedFile = `/proc/self/task/${process.pid}/schedstat`;
  const readSched = (): [number, number] | undefined => {
    try {
      const [run, wait] = readFileSync(schedFile, 'utf8').split(' ');
      return [Number(run) / 1e6, Number(wait) / 1e6];
    } catch {
      return undefined;
    }
  };
  const ticks: number[] = [];
  const scheds: ([number, number] | undefined)[] = [];
  let probing = true;
  let tickTimer: NodeJS.Timeout | undefined;
  const tick = () => {
    ticks.push(now());
    scheds.push(readSched());
    if (probing) tickTimer = setTimeout(tick, 1);
  };
  tick();
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  // Garbage-collection pauses on the agent's thread, to tell them from the encoder's own steps.
  const gcs: { start: number; ms: number }[] = [];
  const gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, ms: e.duration });
  });
  gcObserver.observe({ entryTypes: ['gc'] });
  const longestGc = (from: number, to: number) =>
    gcs.reduce((m, g) => (g.start < to && g.start + g.ms > from ? Math.max(m, g.ms) : m), 0);
  const longestGap = (from: number, to: number) => longestGapAt(from, to).gap;
  /** The longest gap, and the thread's time on a CPU / waiting for one within it (NaN without schedstat). */
  const longestGapAt = (from: number, to: number) => {
    let gap = 0;
    let at = -1;
    for (let k = 1; k < ticks.length; k++) {
      if (ticks[k]! > from && ticks[k - 1]! < to && ticks[k]! - ticks[k - 1]! > gap) {
        gap = ticks[k]! - ticks[k - 1]!;
        at = k;
      }
    }
    const a = at > 0 ? scheds[at - 1] : undefined;
    const b = at > 0 ? scheds[at] : undefined;
    return { gap, run: a && b ? b[0] - a[0] : NaN, wait: a && b ? b[1] - a[1] : NaN };
  };
  for (let r = 0; r < reps; r++) {
    gc();
    phases.reset();
    await settle(50);
    ticks.length = 0;
    scheds.length = 0;
    delay.reset();
    const t0 = now();
    const pending = await store.capture();
    const t1 = now();
    const path = await pending.commit();
    const t2 = now();
    const saveDelayMax = delay.max / 1e6;
    await settle(15);
    const g = longestGapAt(t0, t2);
    rec.add('longestGapMs', g.gap);
    if (!Number.isNaN(g.run)) {
      rec.add('gapOnCpuMs', g.run);
      rec.add('gapWaitingMs', g.wait);
    }
    rec.add('gapShare', longestGap(t0, t2) / (t2 - t0));
    rec.add('delayMaxMs', saveDelayMax);
    rec.add('delayShare', saveDelayMax / (t2 - t0));
    rec.add('gcMaxMs', longestGc(t0, t2));
    // The same window without a save.
    ticks.length = 0;
    scheds.length = 0;
    delay.reset();
    const b0 = now();
    await settle(t2 - t0);
    const b1 = now();
    const idleDelayMax = delay.max / 1e6;
    await settle(15);
    rec.add('baselineGapMs', longestGap(b0, b1));
    rec.add('baselineDelayMaxMs', idleDelayMax);
    rec.add('captureMs', t1 - t0);
    rec.add('saveMs', t2 - t0);
    rec.fact('stateBytes', treeSize(path).bytes);
    gc();
    const fresh = emptyBuffer<Record<string, unknown>>(records);
    const loader = storeFor(dir, fresh.users);
    // As before the save: the forced collection's concurrent sweeping (a heap holding the saved
    // buffer's million objects) ends before the timed load, instead of competing with it for the cores.
    await settle(50);
    const t3 = now();
    await loader.loadState(path);
    const t4 = now();
    const items = fresh.buffer.getData();
    const t5 = now();
    rec.add('loadMs', t4 - t3);
    rec.add('firstUseMs', t5 - t4);
    rec.add('totalMs', t2 - t0 + (t4 - t3));
    check(items);
    rmSync(path, { recursive: true, force: true });
  }
  phases.close();
  probing = false;
  clearTimeout(tickTimer);
  delay.disable();
  gcObserver.disconnect();
  rec.emit(backend().name);
} else {
  const items: unknown[] = [];
  for (let i = 0; i < records; i++) items.push(make(i));
  const packr = new Packr({ useRecords: true });
  const encode = mode === 'v8' ? (v: unknown) => v8.serialize(v) : (v: unknown) => packr.pack(v);
  const decode =
    mode === 'v8' ? (b: Buffer) => v8.deserialize(b) as unknown[] : (b: Buffer) => packr.unpack(b) as unknown[];
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `items.${mode}`);
  for (let r = 0; r < reps; r++) {
    gc();
    await settle(50);
    const t0 = now();
    const bytes = encode(items);
    await writeFile(file, bytes);
    fsyncPath(file);
    fsyncPath(dir);
    const t1 = now();
    rec.fact('stateBytes', bytes.length);
    gc();
    await settle(50);
    const t2 = now();
    const back = decode(await readFile(file));
    const t3 = now();
    rec.add('saveMs', t1 - t0);
    rec.add('loadMs', t3 - t2);
    rec.add('totalMs', t1 - t0 + (t3 - t2));
    check(back);
    rmSync(file, { force: true });
  }
  rec.emit(mode);
}
