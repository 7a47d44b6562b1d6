/**
 * The process-wide random source that pamiq-core's own components draw from (RandomReplacementBuffer
 * and its dict variant by default) and that samples use for exploration. `wireSystem`/`launch`
 * register it in the state store as the component `random`, so a loaded state continues its sequence.
 *
 * It is seeded from `PAMIQ_SEED` (a safe integer) when that variable is set, from the OS otherwise.
 */
import { RandomSource, entropySeed } from './random-source.js';

let source: RandomSource | undefined;

function seedFromEnv(): number {
  const raw = process.env.PAMIQ_SEED?.trim();
  if (raw === undefined || raw === '') return entropySeed();
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new RangeError(`PAMIQ_SEED must be a safe integer, got '${raw}'`);
  return n;
}

/**
 * The process-wide source (created on first use).
 * @throws RangeError on first use when PAMIQ_SEED is set to something else than a safe integer.
 */
export function globalRandom(): RandomSource {
  source ??= new RandomSource(seedFromEnv());
  return source;
}

/** Restarts the process-wide source from `seed`. @throws RangeError when `seed` is not a safe integer. */
export function seedGlobalRandom(seed: number): void {
  globalRandom().seed(seed);
}
