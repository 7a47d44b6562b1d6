/**
 * Keeps what `GET /api/info` reports about a running system: per-loop step statistics, trainer runs,
 * the save in flight, the last save and the failed ones.
 */
import * as clock from '../time/index.js';
import type { OpsObserver, SaveReport } from './observer.js';

/** How many recent periods the step statistics cover. */
const WINDOW = 256;
/** How many failed saves are remembered. */
const FAILED_KEPT = 20;

export interface Stats {
  count: number;
  mean: number;
  stdev: number;
  min: number;
  max: number;
}

export interface ThreadInfo {
  name: string;
  /** Steps since start. */
  steps: number;
  /** Steps per real second over the recent window (0 before two steps). */
  stepRate: number;
  /** Recent step periods in pamiq seconds (time paused excluded). */
  period: Stats | null;
  /** The period the loop aims at (pamiq seconds), when it has one. */
  targetPeriod: number | null;
  /** Recent period − target, in pamiq seconds. */
  periodError: Stats | null;
}

export interface TrainerInfo {
  name: string;
  runs: number;
  lastRunAt: string | null;
  lastDurationSec: number | null;
}

export interface SaveInfo {
  at: string;
  ok: boolean;
  final: boolean;
  path: string | null;
  error: string | null;
  durationMs: number;
  phases: SaveReport['phases'];
  bytes: number | null;
}

export interface SavesInfo {
  count: number;
  failures: number;
  inFlight: { startedAt: string; elapsedMs: number; final: boolean } | null;
  last: SaveInfo | null;
  failed: SaveInfo[];
}

class Ring {
  private readonly values: number[] = [];
  private next = 0;
  push(v: number) {
    if (this.values.length < WINDOW) this.values.push(v);
    else this.values[this.next] = v;
    this.next = (this.next + 1) % WINDOW;
  }
  stats(): Stats | null {
    const n = this.values.length;
    if (n === 0) return null;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const v of this.values) {
      sum += v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const mean = sum / n;
    let sq = 0;
    for (const v of this.values) sq += (v - mean) ** 2;
    return { count: n, mean, stdev: n > 1 ? Math.sqrt(sq / (n - 1)) : 0, min, max };
  }
}

class LoopStats {
  steps = 0;
  last: number | undefined;
  target: number | null = null;
  readonly periods = new Ring();
  readonly errors = new Ring();
  /** Real seconds of the recent steps, for the rate. */
  readonly real = new Ring();
  lastReal: number | undefined;
}

export class InfoRecorder implements OpsObserver {
  private readonly loops = new Map<string, LoopStats>();
  private readonly trainers = new Map<string, TrainerInfo>();
  private readonly buffers = new Map<string, number>();
  private saveCount = 0;
  private failures = 0;
  private inFlight: { started: number; startedAt: string; final: boolean } | null = null;
  private last: SaveInfo | null = null;
  private readonly failed: SaveInfo[] = [];
  keeperRemovals = 0;

  onStep(loop: string, targetPeriodSec?: number): void {
    let s = this.loops.get(loop);
    if (!s) {
      s = new LoopStats();
      this.loops.set(loop, s);
    }
    s.steps++;
    const now = clock.perfCounter();
    const real = performance.now() / 1000;
    s.target = targetPeriodSec ?? null;
    if (s.last !== undefined) {
      const period = now - s.last;
      s.periods.push(period);
      if (targetPeriodSec !== undefined) s.errors.push(period - targetPeriodSec);
    }
    // A pause freezes pamiq time but not real time: the step that spans it is left out of the rate.
    if (s.lastReal !== undefined && !clock.isPaused()) s.real.push(real - s.lastReal);
    s.last = now;
    s.lastReal = real;
  }

  onTrainingRun(trainer: string, seconds: number): void {
    const t = this.trainers.get(trainer) ?? { name: trainer, runs: 0, lastRunAt: null, lastDurationSec: null };
    t.runs++;
    t.lastRunAt = new Date().toISOString();
    t.lastDurationSec = seconds;
    this.trainers.set(trainer, t);
  }

  onSaveStart(final = false): void {
    this.inFlight = { started: performance.now(), startedAt: new Date().toISOString(), final };
  }

  onSave(r: SaveReport): void {
    this.inFlight = null;
    const info: SaveInfo = {
      at: new Date().toISOString(),
      ok: r.ok,
      final: r.final ?? false,
      path: r.path ?? null,
      error: r.error ?? null,
      durationMs: r.durationMs,
      phases: { ...r.phases },
      bytes: r.bytes ?? null,
    };
    this.last = info;
    if (r.ok) this.saveCount++;
    else {
      this.failures++;
      this.failed.push(info);
      if (this.failed.length > FAILED_KEPT) this.failed.shift();
    }
  }

  onKeeperRemoval(count: number): void {
    this.keeperRemovals += count;
  }

  bufferSize(name: string, size: number): void {
    this.buffers.set(name, size);
  }

  threads(): ThreadInfo[] {
    return [...this.loops].map(([name, s]) => {
      const real = s.real.stats();
      return {
        name,
        steps: s.steps,
        stepRate: real && real.mean > 0 ? 1 / real.mean : 0,
        period: s.periods.stats(),
        targetPeriod: s.target,
        periodError: s.target === null ? null : s.errors.stats(),
      };
    });
  }

  trainerRuns(): TrainerInfo[] {
    return [...this.trainers.values()].map((t) => ({ ...t }));
  }

  bufferSizes(): Record<string, number> {
    return Object.fromEntries(this.buffers);
  }

  saves(): SavesInfo {
    return {
      count: this.saveCount,
      failures: this.failures,
      inFlight: this.inFlight && {
        startedAt: this.inFlight.startedAt,
        elapsedMs: performance.now() - this.inFlight.started,
        final: this.inFlight.final,
      },
      last: this.last,
      failed: [...this.failed],
    };
  }
}
