/**
 * The process-wide clock and its module functions. The functions always go through the current global
 * controller, so specs may swap it with {@link setGlobalTimeController}.
 */
import { TimeController, realSleep } from './controller.js';

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

/** Real wall-clock seconds since the epoch, unaffected by scale and pause. */
export const fixedTime = (): number => Date.now() / 1000;
/** Real sleep, unaffected by scale and pause. */
export const fixedSleep = (seconds: number): Promise<void> => realSleep(seconds);
/** Real high-resolution seconds, unaffected by scale and pause. */
export const fixedPerfCounter = (): number => performance.now() / 1000;
