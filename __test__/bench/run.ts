/**
 * `npm run bench [-- --quick] [-- --case NAME]`: the benchmark suite of the state engine.
 *
 * Every case runs the native engine, the TypeScript twin and its own limit (what the machine can do
 * without the engine) in the same run, each measurement in a child process with PAMIQ_BACKEND set
 * (the StateStore uses the engine chosen at import), so every figure is read as a ratio. Prints one
 * table and writes bench-results.json (one record per measurement, plus the machine).
 *
 * Cases: large-save (1), large-load (2), small-records (3), keeper (4), loop-stall (5), memory (6),
 * loop-training (7: the agent's interval while a trainer runs, worker vs main threading), remote (8), snapshot-dir (9),
 * records (10: records of fields, beside v8.serialize, msgpackr and, with --peer, PAMIQ-Core).
 */
import { existsSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ChildFailed, REPO_ROOT, runCase } from './lib/child.js';
import { freshDir, type ChildResult } from './lib/common.js';
import {
  fmt,
  machine,
  renderTable,
  summarize,
  type BenchRecord,
  type Column,
  type Row,
  type Verdict,
} from './lib/report.js';

const CASES = [
  'large-save',
  'large-load',
  'small-records',
  'keeper',
  'loop-stall',
  'memory',
  'loop-training',
  'remote',
  'snapshot-dir',
  'records',
] as const;
type CaseName = (typeof CASES)[number];
type Backend = 'native' | 'ts';

const { values: opts } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    case: { type: 'string', multiple: true },
    reps: { type: 'string' },
    backend: { type: 'string', multiple: true },
    out: { type: 'string', default: join(REPO_ROOT, 'bench-results.json') },
    profile: { type: 'string' },
    peer: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
  strict: true,
  allowPositionals: false,
});

if (opts.help) {
  process.stdout.write(
    [
      'Usage: npm run bench -- [options]',
      '  --quick            small sizes, 1 repetition (smoke run, < 30 s)',
      `  --case NAME        run one case (repeatable): ${CASES.join(', ')} (or 1-10)`,
      '  --reps N           repetitions per measurement (default 3, --quick 1)',
      '  --backend NAME     native or ts (repeatable; default both, native skipped when unavailable)',
      '  --out FILE         results file (default bench-results.json)',
      '  --profile DIR      write a V8 CPU profile of every child process into DIR',
      '  --peer             also run PAMIQ-Core (Python) on the record cases: a venv with pamiq-core from PyPI',
      '                     is created once in .bench-cache/ (needs Python >= 3.12 and network)',
      '',
    ].join('\n'),
  );
  process.exit(0);
}

function usage(message: string): never {
  process.stderr.write(`bench: ${message} (see --help)\n`);
  process.exit(2);
}
const quick = opts.quick;
const reps = opts.reps !== undefined ? Number(opts.reps) : quick ? 1 : 3;
if (!Number.isInteger(reps) || reps < 1) usage(`--reps must be a positive integer, got ${opts.reps}`);
const wanted = new Set<CaseName>(
  (opts.case ?? [...CASES]).map((c) => {
    if (/^([1-9]|10)$/.test(c)) return CASES[Number(c) - 1]!;
    const exact = CASES.filter((n) => n === c);
    const hits = exact.length ? exact : CASES.filter((n) => n.split('-').includes(c) || n.startsWith(c));
    if (hits.length !== 1) usage(`unknown case "${c}"; cases: ${CASES.join(', ')} (or 1-10, or a part such as "load")`);
    return hits[0]!;
  }),
);

const SIZES = quick
  ? {
      tensors: 2_000,
      width: 1024,
      small: 20_000,
      states: 200,
      stall: 2_000,
      warmCount: 0,
      fieldRecords: 20_000,
      bytesRecords: 2_000,
    }
  : {
      tensors: 100_000,
      width: 1024,
      small: 1_000_000,
      states: 10_000,
      stall: 100_000,
      warmCount: 4,
      fieldRecords: 1_000_000,
      bytesRecords: 100_000,
    };

// ---- backends ----
const log = (line: string) => process.stderr.write(`${line}\n`);
delete process.env.PAMIQ_BACKEND; // let select.js try the native engine
const { backend: activeBackend } = await import('../../src/backend/select.js');
const nativeUnavailable = activeBackend().nativeUnavailable;
const requested = (opts.backend ?? ['native', 'ts']) as string[];
for (const b of requested) if (b !== 'native' && b !== 'ts') usage(`--backend must be native or ts, got ${b}`);
const backends: Backend[] = [];
const notes: string[] = [];
if (quick)
  notes.push(
    '--quick: the sizes are too small for the targets to mean anything; this run only shows that every case works',
  );
if (requested.includes('native')) {
  if (nativeUnavailable === undefined) backends.push('native');
  else notes.push(`native backend skipped: ${nativeUnavailable}`);
}
if (requested.includes('ts')) backends.push('ts');
const columns: Column[] = [
  ...backends,
  'limit',
  ...(wanted.has('records') ? (['pamiq-core', 'v8', 'msgpackr'] as const) : []),
];

// ---- bookkeeping ----
const records: BenchRecord[] = [];
const rows: Row[] = [];
const verdicts: Verdict[] = [];
const errors: { case: string; error: string }[] = [];
const root = freshDir('run');
const nodeFlags = opts.profile ? ['--cpu-prof', '--cpu-prof-dir', resolve(opts.profile)] : [];
if (opts.profile) mkdirSync(resolve(opts.profile), { recursive: true });

const cleanup = () => rmSync(root, { recursive: true, force: true });
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

function child(script: string, backend: Backend | 'limit', args: string[], label: string): Promise<ChildResult> {
  return runCase(script, backend, args, { nodeFlags, log, label });
}

/** Pools the samples of `metric` over results and adds one record; returns its summary. */
function record(caseName: string, backend: Column, metric: string, unit: string, results: ChildResult[]) {
  const values = results.flatMap((r) => r.samples[metric] ?? []);
  return recordValues(caseName, backend, metric, unit, values);
}

function recordValues(caseName: string, backend: Column, metric: string, unit: string, values: number[]) {
  const s = summarize(values);
  if (values.length > 0) {
    records.push({ case: caseName, backend, metric, value: s.median, unit, repetitions: values.length, ...s });
  }
  return s;
}

const facts = (results: ChildResult[], name: string): number[] =>
  results.map((r) => r.facts[name]).filter((v): v is number => typeof v === 'number');

/** Values per column → the cells of a row. */
function cells(values: Partial<Record<Column, number>>, unit: string, scale = 1): Partial<Record<Column, string>> {
  const out: Partial<Record<Column, string>> = {};
  for (const [k, v] of Object.entries(values) as [Column, number][]) out[k] = fmt(v / scale, unit);
  return out;
}

/** Judges a ratio against its threshold (≥, or ≤ with atMost) and records the verdict. */
function judge(
  caseName: string,
  target: string,
  value: number,
  threshold: number,
  judged: Column,
  detail: string,
  atMost = false,
): string {
  const met = Number.isFinite(value) && (atMost ? value <= threshold : value >= threshold);
  verdicts.push({ case: caseName, target, value, met, judged, detail });
  return `${met ? 'met' : 'MISSED'} ${detail}`;
}

const ratio = (a: number | undefined, b: number | undefined) =>
  a !== undefined && b !== undefined && b > 0 ? a / b : NaN;
const x = (r: number) => (Number.isFinite(r) ? `${r.toFixed(2)}×` : 'n/a');
const pct = (r: number) => (Number.isFinite(r) ? `${(r * 100).toFixed(1)}%` : 'n/a');
/** The backend targets are judged on: native when it runs, else the twin (said in the result). */
const primary: Backend | undefined = backends.includes('native') ? 'native' : backends[0];

/** Says which backend a target was judged on when it is not the native one. */
function whoNote(): string {
  if (primary === 'native') return '';
  return ` [judged on ts: native ${nativeUnavailable === undefined ? 'not requested' : 'unavailable'}]`;
}

/** Runs `fn` for each of `items` in the order of round `r` (rotated, so no one always goes first). */
async function rotated<T>(items: T[], r: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i++) await fn(items[(i + r) % items.length]!);
}

// =====================================================================================================
// Cases 1, 2 and 6: the large state
// =====================================================================================================

interface LargeSaveOutcome {
  results: Partial<Record<Backend | 'limit', ChildResult[]>>;
  kept: Partial<Record<Backend, string>>;
  limitFile: string;
  stateBytes: number;
}

async function largeSave(rounds: number, keep: boolean): Promise<LargeSaveOutcome> {
  const name = '1 large save';
  const out: LargeSaveOutcome = { results: {}, kept: {}, limitFile: join(root, 'limit.bin'), stateBytes: 0 };
  const estimate = SIZES.tensors * (SIZES.width * 4 + 8) + 2_000_000;
  if (SIZES.warmCount > 0) {
    log(`${name}: disk warm-up (${SIZES.warmCount} × ${fmt(estimate / 1e6, 'MB')}, untimed)`);
    notes.push(
      `an untimed warm-up wrote and deleted ${SIZES.warmCount} × ${fmt(estimate / 1e6, 'MB')} first, so measured writes land on ` +
        'blocks the disk has seen (on this virtual disk, first writes to never-used blocks ran several times slower than rewrites)',
    );
    await child(
      'limit-io',
      'limit',
      ['--mode', 'warm', '--file', join(root, 'warm'), '--bytes', String(estimate), '--count', String(SIZES.warmCount)],
      'warm-up',
    );
  }
  const order: (Backend | 'limit')[] = [...backends, 'limit'];
  for (let r = 0; r < rounds; r++) {
    const last = r === rounds - 1;
    await rotated(order, r, async (b) => {
      let result: ChildResult;
      if (b === 'limit') {
        const bytes = out.stateBytes || estimate;
        const args = ['--mode', 'write', '--file', out.limitFile, '--bytes', String(bytes), '--reps', '1'];
        result = await child(
          'limit-io',
          'limit',
          last && keep ? [...args, '--keep'] : args,
          `${name} ${r + 1}/${rounds}`,
        );
      } else {
        const dir = join(root, `save-${b}`);
        rmSync(dir, { recursive: true, force: true });
        const args = [
          '--dir',
          dir,
          '--records',
          String(SIZES.tensors),
          '--width',
          String(SIZES.width),
          '--reps',
          '1',
          '--diagnose',
        ];
        result = await child('large-save', b, last && keep ? [...args, '--keep'] : args, `${name} ${r + 1}/${rounds}`);
        out.stateBytes ||= result.samples.stateBytes?.[0] ?? 0;
        if (typeof result.facts.statePath === 'string') out.kept[b] = result.facts.statePath;
      }
      out.results[b] ??= [];
      out.results[b].push(result);
    });
  }
  return out;
}

function reportLargeSave(o: LargeSaveOutcome): void {
  const name = '1 large save';
  const tp: Partial<Record<Column, number>> = {};
  const total: Partial<Record<Column, number>> = {};
  for (const b of backends) {
    const res = o.results[b] ?? [];
    tp[b] = record(name, b, 'throughputMBs', 'MB/s', res).median;
    total[b] = record(name, b, 'totalMs', 'ms', res).median;
  }
  const lim = o.results.limit ?? [];
  tp.limit = record(name, 'limit', 'throughputMBs', 'MB/s', lim).median;
  total.limit = record(name, 'limit', 'writeMs', 'ms', lim).median;
  const r = ratio(tp[primary!], tp.limit);
  const tsNote = primary === 'native' && tp.ts !== undefined ? `; ts ${x(ratio(tp.ts, tp.limit))}` : '';
  const who = whoNote();
  rows.push({
    case: name,
    metric: `throughput, ${fmt(o.stateBytes / 1e6, 'MB')} (limit: 1 write + fsync)`,
    cells: cells(tp, 'MB/s'),
    target: 'native ≥ 0.8× limit',
    result: judge(name, 'native throughput ≥ 0.8× the limit', r, 0.8, primary!, `(${x(r)}${tsNote})${who}`),
  });
  rows.push({ case: '', metric: 'save wall time (capture → commit)', cells: cells(total, 'ms') });
  const phase = (metric: string, label: string) => {
    const v: Partial<Record<Column, number>> = {};
    for (const b of backends) v[b] = record(name, b, metric, 'ms', o.results[b] ?? []).median;
    rows.push({ case: '', metric: label, cells: cells(v, 'ms') });
  };
  phase('captureMs', '  capture (loops paused)');
  phase('writeMs', '  write: encode, write, hash, fsync');
  phase('finalizeMs', '  commit: manifest, fsync dirs, rename');
  phase('encodeOnlyMs', '  diagnostic: codec encode alone (main thread)');
  const w: Partial<Record<Column, number>> = {};
  for (const b of backends) w[b] = record(name, b, 'writerOnlyMBs', 'MB/s', o.results[b] ?? []).median;
  rows.push({ case: '', metric: '  diagnostic: engine writer alone (encoded segments)', cells: cells(w, 'MB/s') });
  for (const b of backends) {
    record(name, b, 'writerOnlyMs', 'ms', o.results[b] ?? []);
    record(name, b, 'stateBytes', 'bytes', o.results[b] ?? []);
  }
}

function reportMemory(o: LargeSaveOutcome): void {
  const name = '6 memory';
  const peak: Partial<Record<Column, number>> = {};
  const base: Partial<Record<Column, number>> = {};
  for (const b of backends) {
    const res = o.results[b] ?? [];
    peak[b] = recordValues(name, b, 'peakRss', 'bytes', facts(res, 'peakRss')).median;
    base[b] = recordValues(name, b, 'baselineRss', 'bytes', facts(res, 'baselineRss')).median;
    recordValues(
      name,
      b,
      'peakRssPerStateBytes',
      'ratio',
      res.map((r) => (r.facts.peakRss as number) / (r.samples.stateBytes?.[0] ?? NaN)),
    );
  }
  const r = ratio(peak[primary!], o.stateBytes);
  const tsNote = primary === 'native' && peak.ts !== undefined ? `; ts ${x(ratio(peak.ts, o.stateBytes))}` : '';
  const who = whoNote();
  const source = o.results[primary!]?.[0]?.facts.peakSource ?? '?';
  rows.push({
    case: name,
    metric: `peak RSS during the save (${source})`,
    cells: { ...cells(peak, 'MB', 1e6), limit: `state ${fmt(o.stateBytes / 1e6, 'MB')}` },
    target: 'peak ≤ 1.5× state size',
    result: judge(
      name,
      'peak RSS during the large save ≤ 1.5× the state size',
      r,
      1.5,
      primary!,
      `(${x(r)}${tsNote})${who}`,
      true,
    ),
  });
  rows.push({ case: '', metric: 'RSS before the save (data in memory)', cells: cells(base, 'MB', 1e6) });
}

async function largeLoad(o: LargeSaveOutcome, rounds: number): Promise<void> {
  const name = '2 large load';
  const results: Partial<Record<Column, ChildResult[]>> = {};
  const order: (Backend | 'limit')[] = [...backends, 'limit'];
  for (let r = 0; r < rounds; r++) {
    await rotated(order, r, async (b) => {
      const label = `${name} ${r + 1}/${rounds}`;
      let result: ChildResult;
      if (b === 'limit') {
        result = await child(
          'limit-io',
          'limit',
          ['--mode', 'read', '--file', o.limitFile, '--reps', '1', '--cold'],
          label,
        );
      } else {
        const state = o.kept[b] ?? o.kept.native ?? o.kept.ts;
        if (!state) throw new Error('no saved state to load');
        result = await child(
          'large-load',
          b,
          [
            '--state',
            state,
            '--records',
            String(SIZES.tensors),
            '--width',
            String(SIZES.width),
            '--reps',
            '1',
            '--cold',
          ],
          label,
        );
      }
      results[b] ??= [];
      results[b].push(result);
    });
  }
  const tp: Partial<Record<Column, number>> = {};
  const ms: Partial<Record<Column, number>> = {};
  const peak: Partial<Record<Column, number>> = {};
  for (const b of backends) {
    tp[b] = record(name, b, 'throughputMBs', 'MB/s', results[b] ?? []).median;
    ms[b] = record(name, b, 'loadMs', 'ms', results[b] ?? []).median;
    peak[b] = record(name, b, 'peakRss', 'bytes', results[b] ?? []).median;
  }
  tp.limit = record(name, 'limit', 'throughputMBs', 'MB/s', results.limit ?? []).median;
  ms.limit = record(name, 'limit', 'readMs', 'ms', results.limit ?? []).median;
  const all = Object.values(results).flat();
  const cold = all.length > 0 && all.every((r) => r.facts.cache === 'cold');
  const cache = cold ? 'cold cache' : 'warm cache';
  if (!cold) notes.push('large load: the page cache could not be dropped (not root?), so loads read a warm cache');
  const r = ratio(tp[primary!], tp.limit);
  const tsNote = primary === 'native' && tp.ts !== undefined ? `; ts ${x(ratio(tp.ts, tp.limit))}` : '';
  const who = whoNote();
  rows.push({
    case: name,
    metric: `throughput, ${cache} (limit: fs.readFile)`,
    cells: cells(tp, 'MB/s'),
    target: 'native ≥ 0.8× limit',
    result: judge(name, 'native load throughput ≥ 0.8× the limit', r, 0.8, primary!, `(${x(r)}${tsNote})${who}`),
  });
  rows.push({ case: '', metric: 'load wall time (read, verify, decode)', cells: cells(ms, 'ms') });
  rows.push({ case: '', metric: 'peak RSS during the load', cells: cells(peak, 'MB', 1e6) });
}

// =====================================================================================================
// Case 3: many small records
// =====================================================================================================

async function smallRecords(): Promise<void> {
  const name = '3 small records';
  const results: Partial<Record<Backend, ChildResult[]>> = {};
  for (const b of backends) {
    const dir = join(root, `small-${b}`);
    results[b] = [
      await child('small-records', b, ['--dir', dir, '--records', String(SIZES.small), '--reps', String(reps)], name),
    ];
    rmSync(dir, { recursive: true, force: true });
  }
  const metric = (m: string, label: string, target?: { text: string }) => {
    const v: Partial<Record<Column, number>> = {};
    for (const b of backends) v[b] = record(name, b, m, 'ms', results[b] ?? []).median;
    const row: Row = {
      case: rows.at(-1)?.case === name || rows.some((rw) => rw.case === name) ? '' : name,
      metric: label,
      cells: cells(v, 'ms'),
    };
    if (target) {
      const r = ratio(v.ts, v.native);
      row.target = target.text;
      row.result =
        primary === 'native'
          ? judge(name, 'native save + load ≥ 3× faster than the twin', r, 3, 'native', `(${x(r)})`)
          : `n/a (native ${nativeUnavailable === undefined ? 'not run' : 'unavailable'})`;
    } else if (v.native !== undefined && v.ts !== undefined) {
      row.result = `(ts/native ${x(ratio(v.ts, v.native))})`;
    }
    rows.push(row);
  };
  metric('totalMs', `save + load, ${fmt(SIZES.small)} × [4 numbers]`, { text: 'native ≥ 3× ts' });
  metric('saveMs', '  save (capture → commit)');
  metric('captureMs', '    capture (loops paused)');
  metric('loadMs', '  load (read, verify, decode; row arrays built on first use)');
  metric('firstUseMs', '  first getData() after the load (builds the row arrays)');
  metric('engineMs', '  diagnostic: engine alone (encodeNumbers + scanList)');
  for (const b of backends) {
    record(name, b, 'engineEncodeMs', 'ms', results[b] ?? []);
    record(name, b, 'engineScanMs', 'ms', results[b] ?? []);
    record(name, b, 'writeMs', 'ms', results[b] ?? []);
  }
  const any = Object.values(results).flat()[0];
  if (any) {
    for (const b of backends) {
      recordValues(name, b, 'stateBytes', 'bytes', facts(results[b] ?? [], 'stateBytes'));
      recordValues(name, b, 'allocatedBytes', 'bytes', facts(results[b] ?? [], 'allocatedBytes'));
      recordValues(name, b, 'bufferFileBytes', 'bytes', facts(results[b] ?? [], 'bufferFileBytes'));
    }
    const sz: Partial<Record<Column, string>> = {};
    for (const b of backends) {
      const f = results[b]?.[0]?.facts;
      if (f) sz[b] = `${fmt((f.stateBytes as number) / 1e6, 'MB')}`;
    }
    const f = any.facts;
    rows.push({
      case: '',
      metric: `  bytes on disk (buffer file ${fmt((f.bufferFileBytes as number) / 1e6, 'MB')}, ${fmt((f.allocatedBytes as number) / 1e6, 'MB')} allocated)`,
      cells: sz,
    });
  }
}

// =====================================================================================================
// Case 4: the keeper over many states
// =====================================================================================================

/** PAMIQ-Core 0.6.0 for the keeper case: a venv in the project's bench cache (python ≥ 3.12). */
const KEEPER_PEER_PYTHON = join(REPO_ROOT, '.bench-cache', 'pamiq-core-venv', 'bin', 'python');

async function keeper(): Promise<void> {
  const name = '4 keeper';
  const results: Partial<Record<Backend, ChildResult[]>> = {};
  for (const b of backends) {
    const dir = join(root, `keeper-${b}`);
    const peerArgs = b === backends[0] && existsSync(KEEPER_PEER_PYTHON) ? ['--peer-python', KEEPER_PEER_PYTHON] : [];
    results[b] = [
      await child(
        'keeper',
        b,
        ['--dir', dir, '--states', String(SIZES.states), '--keep', '10', '--reps', String(reps), ...peerArgs],
        name,
      ),
    ];
    rmSync(dir, { recursive: true, force: true });
  }
  const all = Object.values(results).flat();
  const floorAsync = recordValues(
    name,
    'limit',
    'floorMs',
    'ms',
    all.flatMap((r) => r.samples.floorMs ?? []),
  ).median;
  const floorSync = recordValues(
    name,
    'limit',
    'floorSyncMs',
    'ms',
    all.flatMap((r) => r.samples.floorSyncMs ?? []),
  ).median;
  const cleanupV: Partial<Record<Column, number>> = {};
  const selectV: Partial<Record<Column, number>> = {};
  for (const b of backends) {
    cleanupV[b] = record(name, b, 'cleanupMs', 'ms', results[b] ?? []).median;
    selectV[b] = record(name, b, 'selectMs', 'ms', results[b] ?? []).median;
  }
  const r = ratio(cleanupV.ts, cleanupV.native);
  rows.push({
    case: name,
    metric: `scan, order, select, clean up ${fmt(SIZES.states)} states (maxKeep 10)`,
    cells: cells(cleanupV, 'ms'),
    target: 'native ≥ 2× ts',
    result:
      primary === 'native'
        ? judge(name, 'native keeper cleanup ≥ 2× faster than the twin', r, 2, 'native', `(${x(r)})`)
        : `n/a (native ${nativeUnavailable === undefined ? 'not run' : 'unavailable'})`,
  });
  rows.push({
    case: '',
    metric: '  scan, order, select only',
    cells: cells(selectV, 'ms'),
    ...(selectV.native !== undefined && selectV.ts !== undefined
      ? { result: `(ts/native ${x(ratio(selectV.ts, selectV.native))})` }
      : {}),
  });
  const cpu: Partial<Record<Column, string>> = {};
  for (const b of backends) {
    const u = record(name, b, 'cleanupUserCpuMs', 'ms', results[b] ?? []).median;
    const k = record(name, b, 'cleanupSysCpuMs', 'ms', results[b] ?? []).median;
    record(name, b, 'selectUserCpuMs', 'ms', results[b] ?? []);
    record(name, b, 'selectSysCpuMs', 'ms', results[b] ?? []);
    recordValues(name, b, 'createMs', 'ms', facts(results[b] ?? [], 'createMs'));
    cpu[b] = `${fmt(u)} / ${fmt(k)} ms`;
  }
  rows.push({ case: '', metric: '  CPU during the cleanup, all threads: user / kernel', cells: cpu });
  const rescanV: Partial<Record<Column, number>> = {};
  for (const b of backends) rescanV[b] = record(name, b, 'rescanMs', 'ms', results[b] ?? []).median;
  rows.push({
    case: '',
    metric: '  scan again after the cleanup (the next save’s cleanup)',
    cells: cells(rescanV, 'ms'),
  });
  // PAMIQ-Core 0.6.0 in the same run (the first backend's child ran it): shown in the limit column.
  const peerConstruct = recordValues(
    name,
    'limit',
    'peerConstructMs',
    'ms',
    all.flatMap((r) => r.samples.peerConstructMs ?? []),
  ).median;
  const peerCleanup = recordValues(
    name,
    'limit',
    'peerCleanupMs',
    'ms',
    all.flatMap((r) => r.samples.peerCleanupMs ?? []),
  ).median;
  const judged = primary === 'native' ? 'native' : primary;
  const peerMissing = `n/a (no PAMIQ-Core: ${KEEPER_PEER_PYTHON} missing; create it with python3.12 -m venv and pip install pamiq-core==0.6.0)`;
  rows.push({
    case: '',
    metric: '  PAMIQ-Core 0.6.0: LatestStatesKeeper() (glob + stat) vs our scan, order, select',
    cells: Number.isFinite(peerConstruct) ? { limit: fmt(peerConstruct, 'ms') } : {},
    target: 'scan ≥ 1.5× faster',
    result:
      Number.isFinite(peerConstruct) && judged !== undefined
        ? judge(
            name,
            'keeper scan ≥ 1.5× faster than PAMIQ-Core construct',
            ratio(peerConstruct, selectV[judged]),
            1.5,
            judged,
            `(${x(ratio(peerConstruct, selectV[judged]))})`,
          )
        : peerMissing,
  });
  rows.push({
    case: '',
    metric: '  PAMIQ-Core 0.6.0: construct + cleanup vs our cleanup',
    cells: Number.isFinite(peerCleanup) ? { limit: fmt(peerCleanup, 'ms') } : {},
    target: 'scan + remove ≥ 1.5× faster',
    result:
      Number.isFinite(peerCleanup) && judged !== undefined
        ? judge(
            name,
            'keeper scan + remove ≥ 1.5× faster than PAMIQ-Core',
            ratio(peerCleanup, cleanupV[judged]),
            1.5,
            judged,
            `(${x(ratio(peerCleanup, cleanupV[judged]))})`,
          )
        : peerMissing,
  });
  rows.push({
    case: '',
    metric: '  floor: readdir + stat from Node, all at once',
    cells: { limit: fmt(floorAsync, 'ms') },
  });
  rows.push({ case: '', metric: '  floor: readdirSync + statSync', cells: { limit: fmt(floorSync, 'ms') } });
}

// =====================================================================================================
// Case 5: the loop stall during a save
// =====================================================================================================

async function loopStall(): Promise<void> {
  const name = '5 loop stall';
  const results: Partial<Record<Backend, ChildResult[]>> = {};
  for (const b of backends) {
    const dir = join(root, `stall-${b}`);
    results[b] = [
      await child(
        'loop-stall',
        b,
        [
          '--dir',
          dir,
          '--records',
          String(SIZES.stall),
          '--width',
          String(SIZES.width),
          '--interval',
          '0.01',
          '--saves',
          String(reps),
        ],
        name,
      ),
    ];
    rmSync(dir, { recursive: true, force: true });
  }
  const gap: Partial<Record<Column, number>> = {};
  const wall: Partial<Record<Column, number>> = {};
  const paused: Partial<Record<Column, number>> = {};
  const share: Partial<Record<Column, number>> = {};
  const base: Partial<Record<Column, number>> = {};
  for (const b of backends) {
    const res = results[b] ?? [];
    gap[b] = record(name, b, 'longestGapMs', 'ms', res).median;
    wall[b] = record(name, b, 'saveWallMs', 'ms', res).median;
    paused[b] = record(name, b, 'pausedMs', 'ms', res).median;
    share[b] = record(name, b, 'gapShare', 'ratio', res).median;
    base[b] = recordValues(name, b, 'baselineGapMs', 'ms', facts(res, 'baselineGapMs')).median;
  }
  const tsNote = primary === 'native' && share.ts !== undefined ? `; ts ${pct(share.ts)}` : '';
  const who = whoNote();
  rows.push({
    case: name,
    metric: `longest gap between 100 Hz steps during a ${fmt((SIZES.stall * SIZES.width * 4) / 1e6, 'MB')} save`,
    cells: cells(gap, 'ms'),
    target: 'gap ≤ 5% of save wall',
    result: judge(
      name,
      'longest step gap ≤ 5% of the save wall time',
      share[primary!] ?? NaN,
      0.05,
      primary!,
      `(${pct(share[primary!] ?? NaN)}${tsNote})${who}`,
      true,
    ),
  });
  rows.push({ case: '', metric: '  save wall time (request → commit)', cells: cells(wall, 'ms') });
  rows.push({ case: '', metric: '  loops paused (capture)', cells: cells(paused, 'ms') });
  rows.push({ case: '', metric: '  longest gap without a save (1 s)', cells: cells(base, 'ms') });
}

// =====================================================================================================
// Case 7: loop under training (worker vs main threading)
// =====================================================================================================

async function loopTraining(): Promise<void> {
  const name = '7 loop under training';
  const seconds = quick ? 1 : 5;
  const scenarios = ['train', 'save', 'records', 'frames'] as const;
  // Per scenario and mode, the results of each backend.
  const res: Record<string, Partial<Record<Backend, ChildResult[]>>> = {};
  for (const b of backends) {
    for (const threading of ['worker', 'main'] as const) {
      for (const scenario of scenarios) {
        const dir = join(root, `train-${b}-${threading}-${scenario}`);
        const extra =
          scenario === 'save'
            ? ['--fill', String(quick ? 2_000 : 100_000), '--width', '1024']
            : scenario === 'frames'
              ? ['--per-step', '20', '--width', '65536']
              : scenario === 'records'
                ? ['--per-step', '2000']
                : [];
        const args = [
          '--dir',
          dir,
          '--threading',
          threading,
          '--scenario',
          scenario,
          '--seconds',
          String(seconds),
          '--burn',
          '100',
          ...extra,
        ];
        const key = `${threading} ${scenario}`;
        res[key] ??= {};
        const byBackend = res[key];
        byBackend[b] ??= [];
        byBackend[b].push(await child('loop-training', b, args, `${name} (${threading}, ${scenario})`));
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const value = (key: string, b: Backend, metric: string, unit: string) =>
    record(
      name,
      b,
      `${key.replace(' ', ':')}:${metric}`,
      unit,
      (res[key]?.[b] ?? []).map((r) => ({
        ...r,
        samples: { [`${key.replace(' ', ':')}:${metric}`]: r.samples[metric] ?? [] },
      })),
    ).median;
  const p = primary!;
  const who = whoNote();
  for (const threading of ['worker', 'main'] as const) {
    const steps: Partial<Record<Column, number>> = {};
    const gap: Partial<Record<Column, number>> = {};
    const saveShare: Partial<Record<Column, number>> = {};
    const recs: Partial<Record<Column, number>> = {};
    const mbs: Partial<Record<Column, number>> = {};
    const dataGap: Partial<Record<Column, number>> = {};
    for (const b of backends) {
      steps[b] = value(`${threading} train`, b, 'stepsShare', 'ratio');
      gap[b] = value(`${threading} train`, b, 'p99GapMs', 'ms');
      saveShare[b] = value(`${threading} save`, b, 'gapShare', 'ratio');
      recs[b] = value(`${threading} records`, b, 'itemsPerSecond', 'items/s');
      mbs[b] = value(`${threading} frames`, b, 'mbPerSecond', 'MB/s');
      dataGap[b] = Math.max(
        value(`${threading} records`, b, 'p99GapMs', 'ms'),
        value(`${threading} frames`, b, 'p99GapMs', 'ms'),
      );
    }
    const judged = threading === 'worker';
    const pctCells = (v: Partial<Record<Column, number>>) =>
      Object.fromEntries(Object.entries(v).map(([k, n]) => [k, pct(n as number)]));
    rows.push({
      case: threading === 'worker' ? name : '',
      metric: `${threading}: 100 Hz steps done while a trainer burns 100 ms/run (${seconds} s)`,
      cells: pctCells(steps),
      ...(judged
        ? {
            target: '≥ 95% of expected',
            result: judge(
              name,
              'worker: steps ≥ 95% of expected under training',
              steps[p] ?? NaN,
              0.95,
              p,
              `(${pct(steps[p] ?? NaN)})${who}`,
            ),
          }
        : {}),
    });
    rows.push({
      case: '',
      metric: `${threading}: p99 gap between steps`,
      cells: cells(gap, 'ms'),
      ...(judged
        ? {
            target: '≤ 20 ms',
            result: judge(
              name,
              'worker: p99 step gap ≤ 20 ms under training',
              gap[p] ?? NaN,
              20,
              p,
              `(${fmt(gap[p] ?? NaN, 'ms')})${who}`,
              true,
            ),
          }
        : {}),
    });
    rows.push({
      case: '',
      metric: `${threading}: longest gap during a ${fmt(((quick ? 2_000 : 100_000) * 1024 * 4) / 1e6, 'MB')} save / its wall time`,
      cells: pctCells(saveShare),
      ...(judged
        ? {
            target: '≤ 5%',
            result: judge(
              name,
              'worker: longest gap during a save ≤ 5% of its wall time',
              saveShare[p] ?? NaN,
              0.05,
              p,
              `(${pct(saveShare[p] ?? NaN)})${who}`,
              true,
            ),
          }
        : {}),
    });
    rows.push({
      case: '',
      metric: `${threading}: {obs, action, reward, value} records into the buffers`,
      cells: cells(recs, 'items/s'),
      ...(judged
        ? {
            target: '≥ 200,000/s',
            result: judge(
              name,
              'worker: ≥ 200,000 records/s into the buffers',
              recs[p] ?? NaN,
              200_000,
              p,
              `(${fmt(recs[p] ?? NaN, 'items/s')})${who}`,
            ),
          }
        : {}),
    });
    rows.push({
      case: '',
      metric: `${threading}: Float32Array observations into the buffers`,
      cells: cells(mbs, 'MB/s'),
      ...(judged
        ? {
            target: '≥ 500 MB/s',
            result: judge(
              name,
              'worker: ≥ 500 MB/s of Float32Array observations',
              mbs[p] ?? NaN,
              500,
              p,
              `(${fmt(mbs[p] ?? NaN, 'MB/s')})${who}`,
            ),
          }
        : {}),
    });
    rows.push({
      case: '',
      metric: `${threading}: p99 step gap while collecting`,
      cells: cells(dataGap, 'ms'),
      ...(judged
        ? {
            target: '≤ 20 ms',
            result: judge(
              name,
              'worker: p99 step gap ≤ 20 ms while collecting',
              dataGap[p] ?? NaN,
              20,
              p,
              `(${fmt(dataGap[p] ?? NaN, 'ms')})${who}`,
              true,
            ),
          }
        : {}),
    });
  }
}

// =====================================================================================================
// Case 8: a state through a real S3 server (versitygw on 127.0.0.1)
// =====================================================================================================

async function remoteCase(): Promise<void> {
  const name = '8 remote';
  const { goAvailable } = await import('../../scripts/s3-server.mjs');
  if (!goAvailable()) {
    rows.push({ case: name, metric: 'skipped: no Go toolchain to install versitygw', cells: {} });
    return;
  }
  const mb = quick ? 40 : 400;
  const results: Partial<Record<Backend, ChildResult[]>> = {};
  for (const b of backends) {
    results[b] = [
      await child('remote', b, ['--dir', join(root, `remote-${b}`), '--mb', String(mb), '--reps', String(reps)], name),
    ];
  }
  // The limit is measured in each child, interleaved with its pushes and pulls; ratios use the
  // judged backend's own child (the machine's load drifts between children).
  const p = primary!;
  const own = results[p] ?? [];
  const limitUp = recordValues(
    name,
    'limit',
    'limitUploadMs',
    'ms',
    own.flatMap((r) => r.samples.limitUploadMs ?? []),
  ).median;
  const limitDown = recordValues(
    name,
    'limit',
    'limitDownloadMs',
    'ms',
    own.flatMap((r) => r.samples.limitDownloadMs ?? []),
  ).median;
  const push: Partial<Record<Column, number>> = { limit: limitUp };
  const pull: Partial<Record<Column, number>> = { limit: limitDown };
  const resume: Partial<Record<Column, number>> = {};
  for (const b of backends) {
    push[b] = record(name, b, 'pushMs', 'ms', results[b] ?? []).median;
    pull[b] = record(name, b, 'pullMs', 'ms', results[b] ?? []).median;
    resume[b] = record(name, b, 'resumeMs', 'ms', results[b] ?? []).median;
  }
  const upRatio = ratio(limitUp, push[p]);
  const downRatio = ratio(limitDown, pull[p]);
  rows.push({
    case: name,
    metric: `push a ${mb} MB state (9 files, marker last) vs one lib-storage Upload of the same bytes`,
    cells: cells(push, 'ms'),
    target: 'push ≥ 0.8× limit',
    result: judge(name, 'remote push ≥ 0.8× one lib-storage Upload', upRatio, 0.8, p, `(${x(upRatio)})`),
  });
  rows.push({
    case: '',
    metric: '  pull (download, fsync, XXH3 verify) vs one GetObject to a file',
    cells: cells(pull, 'ms'),
    target: 'pull ≥ 0.8× limit',
    result: judge(name, 'remote pull ≥ 0.8× one GetObject', downRatio, 0.8, p, `(${x(downRatio)})`),
  });
  rows.push({
    case: '',
    metric: '  empty states dir → loaded latest (list, pull, verify, load)',
    cells: cells(resume, 'ms'),
  });
}

// =====================================================================================================
// Case 10: records of fields, beside the Python original and the plain-Node alternatives
// =====================================================================================================

type RecordMode = Backend | 'v8' | 'msgpackr' | 'pamiq-core';

async function recordCases(): Promise<void> {
  const { peerPython, runPeer, PEER_PACKAGE } = await import('./lib/peer.js');
  let python: string | undefined;
  let peerWhy = 'not requested (npm run bench -- --peer)';
  if (opts.peer) {
    const p = peerPython(log);
    if ('python' in p) python = p.python;
    else peerWhy = p.unavailable;
  }
  if (!python) notes.push(`PAMIQ-Core peer rows: ${peerWhy}`);
  const diskLimit = await measureDiskLimit();
  for (const shape of ['fields', 'bytes'] as const) {
    const name = shape === 'fields' ? '7a records: fields' : '7b records: bytes';
    const n = shape === 'fields' ? SIZES.fieldRecords : SIZES.bytesRecords;
    const modes: RecordMode[] = [...backends, 'v8', 'msgpackr', ...(python ? (['pamiq-core'] as const) : [])];
    const results: Partial<Record<RecordMode, ChildResult[]>> = {};
    for (let r = 0; r < reps; r++) {
      await rotated(modes, r, async (m) => {
        const dir = join(root, `records-${m}`);
        rmSync(dir, { recursive: true, force: true });
        const args = ['--dir', dir, '--shape', shape, '--records', String(n), '--reps', '1'];
        const label = `${name} ${r + 1}/${reps}`;
        let res: ChildResult;
        if (m === 'pamiq-core') {
          res = await runPeer(python!, args);
          log(`  ${label} [pamiq-core] done`);
        } else if (m === 'v8' || m === 'msgpackr') {
          res = await child('records', 'limit', [...args, '--mode', m], label);
        } else {
          res = await child('records', m, [...args, '--mode', 'ours'], label);
        }
        rmSync(dir, { recursive: true, force: true });
        results[m] ??= [];
        results[m].push(res);
      });
    }
    const col = (m: RecordMode): Column => m;
    const metric = (key: string) => {
      const v: Partial<Record<Column, number>> = {};
      for (const m of modes) v[col(m)] = record(name, col(m), key, 'ms', results[m] ?? []).median;
      return v;
    };
    const total = metric('totalMs');
    const save = metric('saveMs');
    const load = metric('loadMs');
    const label =
      shape === 'fields'
        ? `${fmt(n)} × {obs, action, reward, value} numbers`
        : `${fmt(n)} × {obs: Uint8Array(4096), reward}`;
    const peerCell = python ? {} : { 'pamiq-core': 'n/a' };
    const nat = primary === 'native';
    const verdict = (target: string, threshold: number, other: Column, detail: string) => {
      const r = ratio(total[other], total.native);
      if (!nat) return `n/a (native ${nativeUnavailable === undefined ? 'not run' : 'unavailable'})`;
      if (total[other] === undefined) return `n/a (${other} not run${other === 'pamiq-core' ? `: ${peerWhy}` : ''})`;
      return judge(name, target, r, threshold, 'native', `${detail} (${x(r)})`);
    };
    if (shape === 'fields') {
      rows.push({
        case: name,
        metric: `save + load, ${label}`,
        cells: { ...cells(total, 'ms'), ...peerCell },
        target: 'native ≥ 5× pamiq-core',
        result: verdict(
          '1M field records: native save + load ≥ 5× faster than PAMIQ-Core',
          5,
          'pamiq-core',
          'pamiq-core/native',
        ),
      });
      rows.push({
        case: '',
        metric: '',
        cells: {},
        target: 'native ≥ 2× msgpackr',
        result: verdict(
          '1M field records: native save + load ≥ 2× faster than msgpackr (records) + fsync',
          2,
          'msgpackr',
          'msgpackr/native',
        ),
      });
      rows.push({
        case: '',
        metric: '',
        cells: {},
        target: 'native ≥ 3× ts',
        result: verdict('1M field records: native save + load ≥ 3× faster than the twin', 3, 'ts', 'ts/native'),
      });
    } else {
      rows.push({
        case: name,
        metric: `save + load, ${label}`,
        cells: { ...cells(total, 'ms'), ...peerCell },
        target: 'native ≥ 1.3× pamiq-core',
        result: verdict(
          '100k × 4 KiB records: native save + load ≥ 1.3× faster than PAMIQ-Core',
          1.3,
          'pamiq-core',
          'pamiq-core/native',
        ),
      });
    }
    rows.push({
      case: '',
      metric: '  save (ours: capture → commit; others: encode, write, fsync)',
      cells: cells(save, 'ms'),
    });
    rows.push({ case: '', metric: '  load (ours: read, verify, decode into the buffer)', cells: cells(load, 'ms') });
    const first: Partial<Record<Column, number>> = {};
    for (const b of backends) first[b] = record(name, b, 'firstUseMs', 'ms', results[b] ?? []).median;
    rows.push({
      case: '',
      metric: '  first getData() after the load (objects built on first use)',
      cells: cells(first, 'ms'),
    });
    const gap: Partial<Record<Column, number>> = {};
    const share: Partial<Record<Column, number>> = {};
    for (const b of backends) {
      gap[b] = record(name, b, 'longestGapMs', 'ms', results[b] ?? []).median;
      share[b] = record(name, b, 'gapShare', 'ratio', results[b] ?? []).median;
    }
    const sh = share[primary!] ?? NaN;
    rows.push({
      case: '',
      metric: '  longest gap between 1 ms timer ticks during the save',
      cells: cells(gap, 'ms'),
      target: 'gap ≤ 5% of save wall',
      result: judge(
        name,
        `${shape} records: longest loop gap ≤ 5% of the save wall time`,
        sh,
        0.05,
        primary!,
        `(${pct(sh)}${primary === 'native' && share.ts !== undefined ? `; ts ${pct(share.ts)}` : ''})${whoNote()}`,
        true,
      ),
    });
    const baseGap: Partial<Record<Column, number>> = {};
    for (const b of backends) baseGap[b] = record(name, b, 'baselineGapMs', 'ms', results[b] ?? []).median;
    rows.push({
      case: '',
      metric: '  longest gap in as long a window without a save (the machine’s noise)',
      cells: cells(baseGap, 'ms'),
    });
    const delayMax: Partial<Record<Column, number>> = {};
    const delayShare: Partial<Record<Column, number>> = {};
    const baseDelay: Partial<Record<Column, number>> = {};
    for (const b of backends) {
      delayMax[b] = record(name, b, 'delayMaxMs', 'ms', results[b] ?? []).median;
      delayShare[b] = record(name, b, 'delayShare', 'ratio', results[b] ?? []).median;
      baseDelay[b] = record(name, b, 'baselineDelayMaxMs', 'ms', results[b] ?? []).median;
    }
    rows.push({
      case: '',
      metric: `  max event-loop delay during the save (monitorEventLoopDelay, 1 ms; ${pct(delayShare[primary!] ?? NaN)} of the save)`,
      cells: cells(delayMax, 'ms'),
    });
    rows.push({ case: '', metric: '  the same in as long a window without a save', cells: cells(baseDelay, 'ms') });
    const split = (metric: string) => {
      const v: Partial<Record<Column, number>> = {};
      for (const b of backends)
        if ((results[b] ?? []).some((r) => r.samples?.[metric] !== undefined))
          v[b] = record(name, b, metric, 'ms', results[b] ?? []).median;
      return v;
    };
    const onCpu = split('gapOnCpuMs');
    if (Object.keys(onCpu).length > 0) {
      rows.push({
        case: '',
        metric: '  within the longest gap: the agent thread on a CPU (schedstat)',
        cells: cells(onCpu, 'ms'),
      });
      rows.push({
        case: '',
        metric: '  within the longest gap: runnable, waiting for a CPU',
        cells: cells(split('gapWaitingMs'), 'ms'),
      });
    }
    rows.push({
      case: '',
      metric: '  longest garbage-collection pause during the save',
      cells: cells(split('gcMaxMs'), 'ms'),
    });
    const bytes: Partial<Record<Column, string>> = {};
    for (const m of modes) {
      const f = facts(results[m] ?? [], 'stateBytes');
      if (f.length) bytes[col(m)] = fmt(f[0]! / 1e6, 'MB');
    }
    rows.push({ case: '', metric: '  bytes written', cells: bytes });
    if (shape === 'bytes' && backends.includes('native')) {
      const f = facts(results.native ?? [], 'stateBytes')[0] ?? NaN;
      const tp = f / 1e6 / ((save.native ?? NaN) / 1000);
      recordValues(name, 'native', 'saveThroughputMBs', 'MB/s', [tp]);
      recordValues(name, 'limit', 'throughputMBs', 'MB/s', [diskLimit]);
      const r = tp / diskLimit;
      rows.push({
        case: '',
        metric: '  save throughput (limit: 1 write + fsync of as many bytes)',
        cells: { native: fmt(tp, 'MB/s'), limit: fmt(diskLimit, 'MB/s') },
        target: 'native ≥ 0.8× limit',
        result: judge(
          name,
          '100k × 4 KiB records: native save throughput ≥ 0.8× the disk limit',
          r,
          0.8,
          'native',
          `(${x(r)})`,
        ),
      });
    }
    if (python && shape === 'fields') {
      const f = results['pamiq-core']?.[0]?.facts;
      if (f)
        notes.push(
          `PAMIQ-Core peer: pamiq-core ${String(f.version)} (${PEER_PACKAGE}) on Python ${String(f.python)}, save = StateStore.save_state + fsync of every file and directory`,
        );
    }
  }
}

/** The disk limit for the bytes case: one write + fsync of a file as large as its state (MB/s). */
async function measureDiskLimit(): Promise<number> {
  const bytes = SIZES.bytesRecords * (4096 + 16) + 2_000_000;
  const file = join(root, 'records-limit.bin');
  const res: ChildResult[] = [];
  for (let r = 0; r < reps; r++)
    res.push(
      await child(
        'limit-io',
        'limit',
        ['--mode', 'write', '--file', file, '--bytes', String(bytes), '--reps', '1'],
        `10 records: disk limit ${r + 1}/${reps}`,
      ),
    );
  rmSync(file, { force: true });
  return summarize(res.flatMap((x) => x.samples.throughputMBs ?? [])).median;
}

// =====================================================================================================

const started = performance.now();
const info = machine();
log(
  `pamiq-core bench${quick ? ' --quick' : ''}: ${[...wanted].join(', ')} | backends: ${backends.join(', ')} | ` +
    `${info.cores} cores, ${info.cpuModel}, Node ${info.node}, ${info.os}`,
);
for (const n of notes) log(`note: ${n}`);

// =====================================================================================================
// Case 9: snapshot() of a component directory
// =====================================================================================================

async function snapshotDir(): Promise<void> {
  const name = '9 snapshot dir';
  const shapes = quick
    ? [
        { label: '100 files × 200 kB', files: 100, bytes: 200_000 },
        { label: '2,000 files × 1 kB', files: 2_000, bytes: 1_000 },
      ]
    : [
        { label: '1,000 files × 200 kB (200 MB)', files: 1_000, bytes: 200_000 },
        { label: '50,000 files × 1 kB', files: 50_000, bytes: 1_000 },
      ];
  let first = true;
  for (const shape of shapes) {
    const src = join(root, 'snapshot-src');
    const out = join(root, 'snapshot-out');
    rmSync(src, { recursive: true, force: true });
    await child(
      'snapshot-dir',
      'limit',
      ['--mode', 'make', '--dir', src, '--files', String(shape.files), '--bytes', String(shape.bytes)],
      `${name} make`,
    );
    const cols: (Backend | 'limit')[] = [...backends, 'limit'];
    const results: Partial<Record<Column, ChildResult[]>> = {};
    for (let r = 0; r < reps; r++) {
      await rotated(cols, r, async (c) => {
        const mode = c === 'limit' ? 'limit' : 'engine';
        const res = await child(
          'snapshot-dir',
          c,
          ['--mode', mode, '--dir', src, '--out', out],
          `${name} ${shape.label} ${c} ${r + 1}/${reps}`,
        );
        results[c] ??= [];
        results[c].push(res);
      });
    }
    rmSync(src, { recursive: true, force: true });
    const v: Partial<Record<Column, number>> = {};
    for (const c of cols)
      v[c] = recordValues(
        name,
        c,
        `${shape.files} files: totalMs`,
        'ms',
        (results[c] ?? []).flatMap((r) => r.samples.totalMs ?? []),
      ).median;
    const pause: Partial<Record<Column, number>> = {};
    for (const b of backends)
      pause[b] = recordValues(
        name,
        b,
        `${shape.files} files: pauseMs`,
        'ms',
        (results[b] ?? []).flatMap((r) => r.samples.pauseMs ?? []),
      ).median;
    const vsTwin = ratio(v.ts, v.native);
    const vsCp = ratio(v.limit, v.native);
    const cloned = results[primary ?? 'ts']?.[0]?.facts.cloned;
    rows.push({
      case: first ? name : '',
      metric: `snapshot ${shape.label} (limit: cp -r + sync)${cloned ? ', cloned' : ', copied (no reflinks)'}`,
      cells: cells(v, 'ms'),
      target: 'native ≥ 2× ts, ≥ 1× cp -r + sync',
      result:
        primary === 'native'
          ? [
              judge(name, `${shape.label}: native ≥ 2× faster than the twin`, vsTwin, 2, 'native', `(${x(vsTwin)} ts)`),
              judge(
                name,
                `${shape.label}: native at least as fast as cp -r + sync`,
                vsCp,
                1,
                'native',
                `(${x(vsCp)} cp)`,
              ),
            ].join(', ')
          : `n/a (native ${nativeUnavailable === undefined ? 'not run' : 'unavailable'})`,
    });
    rows.push({ case: '', metric: '  of which during the pause (list + clone)', cells: cells(pause, 'ms') });
    first = false;
  }
}

async function guarded(caseName: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    const message =
      err instanceof ChildFailed ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
    errors.push({ case: caseName, error: message });
    rows.push({ case: caseName, metric: 'ERROR (see below)', cells: {} });
    log(`${caseName} failed: ${message}`);
  }
}

try {
  if (backends.length === 0) throw new Error('no backend to run (native unavailable and ts not requested)');
  const needLarge = wanted.has('large-save') || wanted.has('large-load') || wanted.has('memory');
  let large: LargeSaveOutcome | undefined;
  if (needLarge) {
    // large-load alone still needs a saved state: one untimed round then.
    const rounds = wanted.has('large-save') || wanted.has('memory') ? reps : 1;
    await guarded('1 large save', async () => {
      large = await largeSave(rounds, wanted.has('large-load'));
      if (wanted.has('large-save')) reportLargeSave(large);
    });
    if (large && wanted.has('large-load')) await guarded('2 large load', () => largeLoad(large!, reps));
    if (large) rmSync(join(root, 'limit.bin'), { force: true });
    for (const b of backends) rmSync(join(root, `save-${b}`), { recursive: true, force: true });
  }
  if (wanted.has('small-records')) await guarded('3 small records', smallRecords);
  if (wanted.has('keeper')) await guarded('4 keeper', keeper);
  if (wanted.has('loop-stall')) await guarded('5 loop stall', loopStall);
  if (wanted.has('records')) await guarded('10 records', recordCases);
  if (wanted.has('loop-training')) await guarded('7 loop under training', loopTraining);
  if (large && wanted.has('memory')) reportMemory(large);
  if (wanted.has('remote')) await guarded('8 remote', remoteCase);
  if (wanted.has('snapshot-dir')) await guarded('9 snapshot dir', snapshotDir);
} finally {
  cleanup();
}

// ---- output ----
const elapsed = (performance.now() - started) / 1000;
const header = [
  `pamiq-core benchmark${quick ? ' (--quick)' : ''} — ${new Date().toISOString()}, ${elapsed.toFixed(0)} s`,
  `machine: ${info.cores} cores, ${info.cpuModel}, ${info.memoryGB} GB RAM, Node ${info.node}, ${info.os}, ` +
    `${info.freeDiskGB} GB free on ${info.tmpdir}${info.commit ? `, commit ${info.commit}` : ''}`,
  `values: median of ${reps} repetition${reps > 1 ? 's' : ''} (keeper cleanup: 1 per backend; min/max in ${opts.out}); ` +
    'each case runs every backend and its limit in the same run, in rotated order',
];
const table = renderTable(rows, columns);
const met = verdicts.filter((v) => v.met).length;
const summary = `targets: ${met} met, ${verdicts.length - met} missed${errors.length ? `, ${errors.length} case(s) failed` : ''}`;
process.stdout.write(`\n${header.join('\n')}\n\n${table}\n\n${summary}\n`);
for (const n of notes) process.stdout.write(`note: ${n}\n`);
for (const e of errors) process.stdout.write(`\nERROR in ${e.case}:\n${e.error}\n`);

writeFileSync(
  opts.out,
  `${JSON.stringify(
    {
      generatedAt: new Date().toISOString(),
      quick,
      args: process.argv.slice(2),
      elapsedSeconds: Math.round(elapsed * 10) / 10,
      machine: info,
      backends: {
        native: nativeUnavailable === undefined ? 'available' : `unavailable: ${nativeUnavailable}`,
        ran: backends,
      },
      sizes: SIZES,
      notes,
      records,
      targets: verdicts,
      errors,
      table,
    },
    null,
    2,
  )}\n`,
);
process.stdout.write(`results: ${opts.out}\n`);
process.exitCode = errors.length ? 1 : 0;
