import { backend } from '../../src/backend/select.js';

/**
 * Why native specs are skipped in this run: forced off by PAMIQ_BACKEND=ts (npm test runs them in its
 * native pass), or truly absent (the loader's reason).
 */
export const nativeSkipReason: string = (() => {
  const info = backend();
  if (info.forced && info.name === 'ts')
    return 'native backend not loaded: PAMIQ_BACKEND=ts (npm test runs these in its native pass)';
  return `native backend unavailable: ${info.nativeUnavailable ?? 'unknown reason'}`;
})();
