export { TimeController, realSleep, type TimeState, type ClockName } from './controller.js';
export { TimeAnchor } from './anchor.js';
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
