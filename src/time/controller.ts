/**
 * The pamiq clock: scaled (time runs `scale` times faster than real time) and pausable (it stands still
 * while paused). Everything in the framework that measures time — buffer timestamps, training
 * conditions, interval adjustment, periodic saves, uptime — reads it, so pausing the system for a save
 * and accelerating a simulation affect them all alike.
 *
 * Between two anchor points (construction, scale change, resume, load) each clock advances with the
 * monotonic real clock ({@link Clock.now}, `performance.now()` by default), so none of them ever runs
 * backwards, even when the wall clock is stepped by NTP; `time()` is aligned to the wall clock at
 * construction only. The real clock is injectable: a {@link FakeClock} makes the controller (and
 * everything that sleeps on it) deterministic in specs.
 */
import { performance } from 'node:perf_hooks';
import { realClock, type Clock } from './clock.js';
import type { PersistentState } from '../persistence/persistent.js';
import { readMsgpack, stageMsgpack } from '../persistence/component-files.js';

/** The saved form of the clock: the scaled readings at the moment of the save. */
export interface TimeState {
  time: number;
  perfCounter: number;
  monotonic: number;
}

export type ClockName = keyof TimeState;

/**
 * Everything another thread needs to run a clock that agrees with this one: the readings at an
 * absolute real instant (`performance.timeOrigin + performance.now()`, comparable across threads),
 * the scale, whether paused, and the load bookkeeping.
 */
export interface ClockView {
  atMs: number;
  readings: TimeState;
  scale: number;
  paused: boolean;
  generation: number;
  shifts: TimeState;
}

const CLOCKS: readonly ClockName[] = ['time', 'perfCounter', 'monotonic'];

/** Sleeps `seconds` of real time precisely: a timer for most of it, then yielding polls (< 2 ms). */
export function realSleep(seconds: number): Promise<void> {
  return realClock.sleep(seconds * 1000, { precise: true });
}

export class TimeController implements PersistentState {
  private scale = 1;
  private paused = false;
  /** Real monotonic seconds at the last anchor point. */
  private realAnchor: number;
  /** The scaled readings at the last anchor point. */
  private anchors: TimeState;
  private generation = 0;
  /** Per clock, the sum of the jumps made by every load so far (new reading − old reading). */
  private shifts: TimeState = { time: 0, perfCounter: 0, monotonic: 0 };
  private readonly listeners = new Set<() => void>();

  /** @param clock the real time the pamiq clocks advance with and {@link sleep} waits on. */
  constructor(readonly clock: Clock = realClock) {
    const real = this.realNow();
    this.realAnchor = real;
    this.anchors = { time: clock.wallNow() / 1000, perfCounter: real, monotonic: real };
  }

  /** Real monotonic seconds. */
  private realNow(): number {
    return this.clock.now() / 1000;
  }

  private read(clock: ClockName): number {
    if (this.paused) return this.anchors[clock];
    return this.anchors[clock] + (this.realNow() - this.realAnchor) * this.scale;
  }

  /** Moves the anchor point to now, so a later scale change or resume keeps the clocks continuous. */
  private reanchor(): void {
    const real = this.realNow();
    if (!this.paused) {
      const advance = (real - this.realAnchor) * this.scale;
      for (const c of CLOCKS) this.anchors[c] += advance;
    }
    this.realAnchor = real;
  }

  /** Scaled wall-clock seconds since the epoch. */
  time(): number {
    return this.read('time');
  }

  /** Scaled high-resolution seconds (arbitrary origin), for measuring intervals. */
  perfCounter(): number {
    return this.read('perfCounter');
  }

  /** Scaled monotonic seconds (arbitrary origin). */
  monotonic(): number {
    return this.read('monotonic');
  }

  /**
   * Sets the speed of pamiq time relative to real time; the clocks stay continuous.
   * @throws RangeError when `scale` is not a finite number greater than 0.
   */
  setTimeScale(scale: number): void {
    if (typeof scale !== 'number' || !Number.isFinite(scale) || scale <= 0) {
      throw new RangeError(`time scale must be a finite number greater than 0, got ${String(scale)}`);
    }
    this.reanchor();
    this.scale = scale;
    this.changed();
  }

  getTimeScale(): number {
    return this.scale;
  }

  /** Freezes the clocks. Idempotent. */
  pause(): void {
    if (this.paused) return;
    this.reanchor();
    this.paused = true;
    this.changed();
  }

  /** Lets the clocks run again from where they stood. Idempotent. */
  resume(): void {
    if (!this.paused) return;
    this.realAnchor = this.realNow();
    this.paused = false;
    this.changed();
  }

  isPaused(): boolean {
    return this.paused;
  }

  /**
   * Waits `seconds` of pamiq time (`seconds / scale` real seconds, the scale read now). Resolves at
   * once while paused, as the original does, so loops do not stall a pause; a pause that starts
   * during the wait does not shorten it.
   */
  sleep(seconds: number): Promise<void> {
    if (this.paused) return Promise.resolve();
    return this.clock.sleep((seconds / this.scale) * 1000, { precise: true });
  }

  /** The current readings (what {@link saveState} writes). */
  stateDict(): TimeState {
    return { time: this.time(), perfCounter: this.perfCounter(), monotonic: this.monotonic() };
  }

  /**
   * Continues the clocks from saved readings: the time the process was down is skipped. Increments
   * {@link loadGeneration} and records the jump in {@link loadShift}, which {@link TimeAnchor}s use
   * to carry anchors taken before the load across it.
   * @throws TypeError when a reading is missing or not a finite number.
   */
  loadStateDict(state: TimeState): void {
    for (const c of CLOCKS) {
      const v = (state as unknown as Record<string, unknown> | null)?.[c];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new TypeError(`time state: '${c}' must be a finite number, got ${String(v)}`);
      }
    }
    const before = this.stateDict();
    this.anchors = { time: state.time, perfCounter: state.perfCounter, monotonic: state.monotonic };
    this.realAnchor = this.realNow();
    for (const c of CLOCKS) this.shifts[c] += this.anchors[c] - before[c];
    this.generation += 1;
    this.changed();
  }

  /**
   * Calls `listener` after every scale change, pause, resume and load (used to keep another
   * thread's clock in step). @returns a function that removes the listener.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  /** This clock as a {@link ClockView} taken now. */
  view(): ClockView {
    const atMs = performance.timeOrigin + this.clock.now();
    return {
      atMs,
      readings: this.stateDict(),
      scale: this.scale,
      paused: this.paused,
      generation: this.generation,
      shifts: { ...this.shifts },
    };
  }

  /**
   * Makes this clock agree with `view` (taken from a clock in another thread): the same readings,
   * scale and pause state from now on, until the next view. Both clocks must read the same real
   * time: the view's instant is `performance.timeOrigin + clock.now()`.
   */
  follow(view: ClockView): void {
    this.scale = view.scale;
    this.paused = view.paused;
    this.anchors = { ...view.readings };
    this.realAnchor = (view.atMs - performance.timeOrigin) / 1000;
    this.generation = view.generation;
    this.shifts = { ...view.shifts };
    this.changed();
  }

  /** How many times the clocks were restored by a load. */
  get loadGeneration(): number {
    return this.generation;
  }

  /** The total jump of `clock` caused by loads: `reading − loadShift` never jumps. */
  loadShift(clock: ClockName = 'time'): number {
    return this.shifts[clock];
  }

  /** Writes `${path}.msgpack` (e.g. `time.msgpack`). */
  async saveState(path: string): Promise<void> {
    await stageMsgpack(`${path}.msgpack`, this.stateDict());
  }

  /** Reads `${path}.msgpack`. Throws what the read throws (missing file) or TypeError for a bad shape. */
  async loadState(path: string): Promise<void> {
    const state = await readMsgpack<TimeState>(`${path}.msgpack`);
    try {
      this.loadStateDict(state);
    } catch (e) {
      throw new TypeError(`${path}.msgpack: ${(e as Error).message}`);
    }
  }
}
