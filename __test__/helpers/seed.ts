/**
 * Seeds for randomized specs: printed with the command that replays them. A spec calls
 * `specSeed(t, import.meta.url)` and derives every random choice from the result; the seed comes
 * from `PAMIQ_TEST_SEED` when set (to replay a run), else fresh from the OS. (Not `PAMIQ_SEED`, which
 * seeds the library's global random source and would change the system under test.)
 */
import type { ExecutionContext } from 'ava';
import { randomInt } from 'node:crypto';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SEED_VARIABLE = 'PAMIQ_TEST_SEED';

/** The seed from PAMIQ_TEST_SEED, or a fresh one. @throws RangeError when the variable is not an integer in [0, 2^31). */
export function seedFromEnv(): number {
  const raw = process.env[SEED_VARIABLE]?.trim();
  if (raw === undefined || raw === '') return randomInt(2 ** 31);
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n >= 2 ** 31) {
    throw new RangeError(`${SEED_VARIABLE} must be an integer in [0, 2^31), got '${raw}'`);
  }
  return n;
}

/** The command that re-runs this spec with `seed`. */
export function replayCommand(t: ExecutionContext, specUrl: string, seed: number): string {
  const file = relative(process.cwd(), fileURLToPath(specUrl));
  const backend = process.env.PAMIQ_BACKEND ? `PAMIQ_BACKEND=${process.env.PAMIQ_BACKEND} ` : '';
  const title = t.title.replace(/'/g, `'\\''`);
  return `${backend}${SEED_VARIABLE}=${seed} npx ava ${file} --match '${title}'`;
}

/** This spec's seed, logged with its replay command (`t.log`, shown with `--verbose` and on failure). */
export function specSeed(t: ExecutionContext, specUrl: string): number {
  const seed = seedFromEnv();
  t.log(`seed=${seed} (replay: ${replayCommand(t, specUrl, seed)})`);
  return seed;
}
