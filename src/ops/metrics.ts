/**
 * Prometheus metrics of a running system (prom-client), in a registry of its own so several systems in
 * one process do not mix. Served as text at `GET /metrics`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import * as clock from '../time/index.js';
import type { OpsObserver, SaveReport } from './observer.js';

const PERIOD_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10];
/** Signed: a step late by 3 ms counts in 0.005; one early by 3 ms in -0.002. */
const ERROR_BUCKETS = [
  -0.01, -0.005, -0.002, -0.001, -0.0005, 0, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5,
];
const DURATION_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

export interface MetricsSources {
  /** The current status as its integer (SystemStatus). */
  status(): number;
  /** Real seconds since the operations layer started. */
  uptime(): number;
  /** Recent step rate (steps per real second) per loop. */
  stepRates(): Record<string, number>;
}

export class PromMetrics implements OpsObserver {
  readonly registry = new Registry();
  private readonly steps: Counter<'loop'>;
  private readonly period: Histogram<'loop'>;
  private readonly periodError: Histogram<'loop'>;
  private readonly trainingRuns: Counter<'trainer'>;
  private readonly trainingSeconds: Histogram<'trainer'>;
  private readonly saves: Counter;
  private readonly saveFailures: Counter;
  private readonly savePhase: Histogram<'phase'>;
  private readonly saveBytes: Gauge;
  private readonly savedBytes: Counter;
  private readonly keeperRemovals: Counter;
  private readonly buffer: Gauge<'buffer'>;
  private readonly lastPerf = new Map<string, number>();

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.steps = new Counter({
      name: 'pamiq_loop_steps_total',
      help: 'Steps taken per loop',
      labelNames: ['loop'],
      registers,
    });
    this.period = new Histogram({
      name: 'pamiq_loop_period_seconds',
      help: 'Step period per loop in pamiq seconds (paused time excluded)',
      labelNames: ['loop'],
      buckets: PERIOD_BUCKETS,
      registers,
    });
    this.periodError = new Histogram({
      name: 'pamiq_loop_period_error_seconds',
      help: 'Step period minus the target period per loop, in pamiq seconds (loops with a target only)',
      labelNames: ['loop'],
      buckets: ERROR_BUCKETS,
      registers,
    });
    new Gauge({
      name: 'pamiq_loop_step_rate',
      help: 'Recent steps per real second per loop',
      labelNames: ['loop'],
      registers,
      collect() {
        this.reset();
        for (const [loop, rate] of Object.entries(sources.stepRates())) this.set({ loop }, rate);
      },
    });
    this.trainingRuns = new Counter({
      name: 'pamiq_training_runs_total',
      help: 'Training runs per trainer',
      labelNames: ['trainer'],
      registers,
    });
    this.trainingSeconds = new Histogram({
      name: 'pamiq_training_duration_seconds',
      help: 'Real seconds per training run per trainer',
      labelNames: ['trainer'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.saves = new Counter({ name: 'pamiq_saves_total', help: 'States committed (final save included)', registers });
    this.saveFailures = new Counter({ name: 'pamiq_save_failures_total', help: 'Saves that failed', registers });
    this.savePhase = new Histogram({
      name: 'pamiq_save_phase_seconds',
      help: 'Real seconds per save phase: pause (waiting for the loops), capture (loops paused), commit (write, fsync, rename), total',
      labelNames: ['phase'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.saveBytes = new Gauge({ name: 'pamiq_save_bytes', help: 'Bytes of the last committed state', registers });
    this.savedBytes = new Counter({
      name: 'pamiq_saved_bytes_total',
      help: 'Bytes of all committed states',
      registers,
    });
    this.keeperRemovals = new Counter({
      name: 'pamiq_keeper_removals_total',
      help: 'States removed by the states keeper',
      registers,
    });
    this.buffer = new Gauge({
      name: 'pamiq_buffer_size',
      help: 'Items held per data buffer',
      labelNames: ['buffer'],
      registers,
    });
    new Gauge({
      name: 'pamiq_status',
      help: 'System status: 1 active, 2 pausing, 3 paused, 4 resuming, 5 shutting down',
      registers,
      collect() {
        this.set(sources.status());
      },
    });
    new Gauge({
      name: 'pamiq_uptime_seconds',
      help: 'Real seconds since the system started serving operations',
      registers,
      collect() {
        this.set(sources.uptime());
      },
    });
    new Gauge({
      name: 'pamiq_time_scale',
      help: 'Time scale of the pamiq clock',
      registers,
      collect() {
        this.set(clock.getTimeScale());
      },
    });
  }

  onStep(loop: string, targetPeriodSec?: number): void {
    this.steps.inc({ loop });
    const now = clock.perfCounter();
    const last = this.lastPerf.get(loop);
    this.lastPerf.set(loop, now);
    if (last === undefined) return;
    this.period.observe({ loop }, now - last);
    if (targetPeriodSec !== undefined) this.periodError.observe({ loop }, now - last - targetPeriodSec);
  }

  onTrainingRun(trainer: string, seconds: number): void {
    this.trainingRuns.inc({ trainer });
    this.trainingSeconds.observe({ trainer }, seconds);
  }

  onSaveStart(): void {}

  onSave(r: SaveReport): void {
    if (!r.ok) {
      this.saveFailures.inc();
      return;
    }
    this.saves.inc();
    for (const [phase, ms] of Object.entries(r.phases)) this.savePhase.observe({ phase }, ms / 1000);
    this.savePhase.observe({ phase: 'total' }, r.durationMs / 1000);
    if (r.bytes !== undefined) {
      this.saveBytes.set(r.bytes);
      this.savedBytes.inc(r.bytes);
    }
  }

  onKeeperRemoval(count: number): void {
    if (count > 0) this.keeperRemovals.inc(count);
  }

  bufferSize(name: string, size: number): void {
    this.buffer.set({ buffer: name }, size);
  }

  /** The text exposition. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
