/**
 * The process-wide clock and its module functions. The functions always go through the current global
 * controller, so specs may swap it with {@link setGlobalTimeController}.
 */
import { TimeController } from './controller.js';

let current = new TimeController();

export function getGlobalTimeController(): TimeController {
  return current;
}

/** Replaces the current controller (for specs and embedding); returns the previous one. */
export function setGlobalTimeController(controller: TimeController): TimeController {
  const previous = current;
  current = controller;
  return previous;
}

export const time = (): number => current.time();
export const perfCounter = (): number => current.perfCounter();
export const monotonic = (): number => current.monotonic();
export const sleep = (seconds: number): Promise<void> => current.sleep(seconds);
export const setTimeScale = (scale: number): void => current.setTimeScale(scale);
export const getTimeScale = (): number => current.getTimeScale();
export const pause = (): void => current.pause();
export const resume = (): void => current.resume();
export const isPaused = (): boolean => current.isPaused();

/**
 * Real wall-clock seconds since the epoch, unaffected by scale and pause (read from the global
 * controller's {@link TimeController.clock}, the real clock unless a spec installed a fake one).
 */
export const fixedTime = (): number => current.clock.wallNow() / 1000;
/** Real sleep, unaffected by scale and pause (on the global controller's clock). */
export const fixedSleep = (seconds: number): Promise<void> => current.clock.sleep(seconds * 1000, { precise: true });
/** Real high-resolution seconds, unaffected by scale and pause (on the global controller's clock). */
export const fixedPerfCounter = (): number => current.clock.now() / 1000;

/** The real clock under the global controller: what the loops and the control loop wait on. */
export const globalClock = () => current.clock;
