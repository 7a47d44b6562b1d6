export { TimeController, realSleep, type TimeState, type ClockName } from './controller.js';
export { TimeAnchor } from './anchor.js';
export { realClock, type Clock, type SleepOptions } from './clock.js';
export { FakeClock, type FakeClockOptions } from './fake-clock.js';
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
  globalClock,
} from './global.js';
