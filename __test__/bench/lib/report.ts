/**
 * Results of the benchmark: records (one per measurement, written to bench-results.json), the printed
 * table, and the machine description.
 */
import { execFileSync } from 'node:child_process';
import { statfsSync } from 'node:fs';
import os from 'node:os';

export type Column = 'native' | 'ts' | 'limit' | PeerColumn;
/** Columns of the record cases: the Python original and the plain-Node alternatives. */
export type PeerColumn = 'pamiq-core' | 'v8' | 'msgpackr';

export interface BenchRecord {
  case: string;
  backend: Column;
  metric: string;
  /** The median of the repetitions. */
  value: number;
  unit: string;
  repetitions: number;
  min: number;
  median: number;
  max: number;
}

export interface Verdict {
  case: string;
  target: string;
  /** The measured ratio (or share) the target is about. */
  value: number;
  met: boolean;
  /** Which backend the target was judged on. */
  judged: Column;
  detail: string;
}

export interface Row {
  case: string;
  metric: string;
  cells: Partial<Record<Column, string>>;
  target?: string;
  result?: string;
}

export function summarize(values: number[]): { min: number; median: number; max: number } {
  const s = [...values].filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return { min: NaN, median: NaN, max: NaN };
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { min: s[0]!, median, max: s[s.length - 1]! };
}

/** A number with about three significant digits and thousands separators. */
export function fmt(v: number | undefined, unit = ''): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const text = v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return unit ? `${text} ${unit}` : text;
}

export interface Machine {
  cores: number;
  cpuModel: string;
  memoryGB: number;
  node: string;
  os: string;
  freeDiskGB: number;
  tmpdir: string;
  commit?: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  let freeDiskGB = NaN;
  try {
    const fs = statfsSync(os.tmpdir());
    freeDiskGB = (fs.bavail * fs.bsize) / 1e9;
  } catch {
    // statfs unsupported: leave NaN
  }
  let commit: string | undefined;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    commit = undefined;
  }
  return {
    cores: typeof os.availableParallelism === 'function' ? os.availableParallelism() : cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryGB: Math.round(os.totalmem() / 1e8) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    freeDiskGB: Math.round(freeDiskGB * 10) / 10,
    tmpdir: os.tmpdir(),
    ...(commit ? { commit } : {}),
  };
}

/** Renders rows as one aligned plain-text table (also valid Markdown). */
export function renderTable(rows: Row[], columns: Column[]): string {
  const head = ['case', 'metric', ...columns, 'target', 'result'];
  const body = rows.map((r) => [
    r.case,
    r.metric,
    ...columns.map((c) => r.cells[c] ?? ''),
    r.target ?? '',
    r.result ?? '',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const right = (i: number) => i >= 2 && i < 2 + columns.length;
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (right(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (right(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`;
  return [line(head), rule, ...body.map(line)].join('\n');
}
