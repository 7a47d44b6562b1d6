/**
 * Helpers shared by the benchmark's case scripts (the children) and its runner: argument parsing,
 * the one-line JSON result protocol, timing, page-cache dropping, peak RSS and directory sizes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, lstatSync, writeFileSync } from 'node:fs';
import diagnostics from 'node:diagnostics_channel';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** Prefix of the single stdout line that carries a child's result (logs go to stderr). */
export const RESULT_MARK = '@@pamiq-bench-result@@ ';

/** A case script's result: named samples (one value per repetition) and free-form facts. */
export interface ChildResult {
  backend: string;
  /** metric → one value per repetition. */
  samples: Record<string, number[]>;
  /** Single facts (sizes, counts, notes). */
  facts: Record<string, number | string | boolean>;
}

export class Recorder {
  readonly samples: Record<string, number[]> = {};
  readonly facts: Record<string, number | string | boolean> = {};

  add(metric: string, value: number): void {
    this.samples[metric] ??= [];
    this.samples[metric].push(value);
  }

  fact(name: string, value: number | string | boolean): void {
    this.facts[name] = value;
  }

  /** Prints the result line; call once, at the end. */
  emit(backend: string): void {
    const result: ChildResult = { backend, samples: this.samples, facts: this.facts };
    process.stdout.write(`\n${RESULT_MARK}${JSON.stringify(result)}\n`);
  }
}

/** Milliseconds since an arbitrary origin (monotonic). */
export const now = (): number => performance.now();

/** A fresh directory under os.tmpdir() (same disk as /work on the bench machine). */
export function freshDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `pamiq-bench-${prefix}-`));
}

/** Flushes dirty pages and drops the page cache; false (and nothing done) when not permitted. */
export function dropCaches(): boolean {
  try {
    execFileSync('sync');
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

/** Resets the kernel's peak-RSS counter of this process (Linux ≥ 4.0); false when unsupported. */
export function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** VmHWM (peak RSS since start or the last reset) in bytes, or undefined off Linux. */
export function kernelPeakRss(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Tracks the peak RSS: the kernel's high-water mark when available (exact, reset at start), and a
 * sampler of process.memoryUsage.rss() every few ms as a fallback and a cross-check.
 */
export class RssPeak {
  private sampled = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly kernel: boolean;

  constructor(intervalMs = 5) {
    this.kernel = resetPeakRss();
    this.sampled = process.memoryUsage.rss();
    this.timer = setInterval(() => {
      const rss = process.memoryUsage.rss();
      if (rss > this.sampled) this.sampled = rss;
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops sampling; returns the peak in bytes and where it came from. */
  stop(): { peak: number; source: 'VmHWM' | 'sampled' } {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    const rss = process.memoryUsage.rss();
    if (rss > this.sampled) this.sampled = rss;
    const hwm = this.kernel ? kernelPeakRss() : undefined;
    return hwm !== undefined
      ? { peak: Math.max(hwm, this.sampled), source: 'VmHWM' }
      : { peak: this.sampled, source: 'sampled' };
  }
}

/** Logical size (sum of file sizes), allocated bytes and file count of a directory tree. */
export function treeSize(root: string): { bytes: number; allocated: number; files: number } {
  let bytes = 0;
  let allocated = 0;
  let files = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else {
        bytes += st.size;
        allocated += st.blocks * 512;
        files++;
      }
    }
  };
  walk(root);
  return { bytes, allocated, files };
}

/** Waits for a macrotask turn (lets timers and I/O callbacks run). */
export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Runs the collector if the process was started with --expose-gc (keeps repetitions comparable). */
export function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Parses a case script's arguments: `--name value` pairs; every option is a string, numbers are
 * converted by the caller with {@link num}. `--json` is accepted (the result line is always JSON).
 */
export function childArgs(
  names: readonly string[],
  flags: readonly string[] = [],
): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: 'string' | 'boolean' }> = { json: { type: 'boolean' } };
  for (const n of names) options[n] = { type: 'string' };
  for (const f of flags) options[f] = { type: 'boolean' };
  return parseArgs({ options, strict: true, allowPositionals: false }).values as Record<
    string,
    string | boolean | undefined
  >;
}

/** A required numeric argument. */
export function num(args: Record<string, string | boolean | undefined>, name: string, fallback?: number): number {
  const raw = args[name];
  if (raw === undefined && fallback !== undefined) return fallback;
  const n = Number(raw);
  if (typeof raw !== 'string' || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${String(raw)}`);
  return n;
}

/** A required string argument. */
export function str(args: Record<string, string | boolean | undefined>, name: string): string {
  const raw = args[name];
  if (typeof raw !== 'string' || raw === '') throw new Error(`--${name} is required`);
  return raw;
}

/**
 * Times the phases of StateStore saves from the `pamiq:state` diagnostics channel: capture
 * (loops paused), write (encode + write + hash + fsync of the staged files) and commit (hash +
 * fsync of the rest, manifest, renames).
 */
export class PhaseClock {
  private marks = new Map<string, number>();
  private readonly listener = (msg: unknown) => {
    const { phase } = msg as { phase: string };
    this.marks.set(phase, performance.now());
  };

  constructor() {
    diagnostics.subscribe('pamiq:state', this.listener);
  }

  reset(): void {
    this.marks.clear();
  }

  /** ms between two phase events, or NaN when one is missing. */
  span(from: string, to: string): number {
    const a = this.marks.get(from);
    const b = this.marks.get(to);
    return a === undefined || b === undefined ? NaN : b - a;
  }

  close(): void {
    diagnostics.unsubscribe('pamiq:state', this.listener);
  }
}
