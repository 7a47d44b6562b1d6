/**
 * Save and removal phases, published on the diagnostics channel `pamiq:state` so tools and the crash
 * specs can observe (or time a kill into) each phase. Publishing costs nothing without subscribers.
 */
import diagnostics from 'node:diagnostics_channel';

export type StatePhase =
  | 'capture:start'
  | 'capture:end'
  | 'write:start'
  | 'commit:start'
  | 'commit:end'
  | 'remove:start'
  | 'remove:end';

export interface StatePhaseEvent {
  phase: StatePhase;
  /** The state name, or the removed paths for remove phases. */
  subject: string;
}

export const statePhases = diagnostics.channel('pamiq:state');

export function publishPhase(phase: StatePhase, subject: string): void {
  if (statePhases.hasSubscribers) statePhases.publish({ phase, subject } satisfies StatePhaseEvent);
}
