/**
 * The persistence contract of every component (PAMIQ-Core's PersistentStateMixin): save into and load
 * from a directory path. Either may be sync or async; containers await both.
 */
export interface PersistentState {
  saveState(path: string): void | Promise<void>;
  loadState(path: string): void | Promise<void>;
}

export function isPersistentState(value: unknown): value is PersistentState {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PersistentState).saveState === 'function' &&
    typeof (value as PersistentState).loadState === 'function'
  );
}
