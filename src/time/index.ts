/**
 * `pamiq-core/time`: the pamiq clock — scaled, pausable time shared by every loop (PAMIQ-Core's
 * `pamiq_core.time`), as module functions over the global {@link TimeController}.
 */
export { TimeController, type TimeState, type ClockName } from './controller.js';
export { FakeClock, type FakeClockOptions } from './fake-clock.js';
export type { Clock, SleepOptions } from './clock.js';
export {
  getGlobalTimeController,
  setGlobalTimeController,
  time,
  perfCounter,
  monotonic,
  sleep,
  setTimeScale,
  getTimeScale,
  pause,
  resume,
  isPaused,
  fixedTime,
  fixedSleep,
  fixedPerfCounter,
} from './global.js';
