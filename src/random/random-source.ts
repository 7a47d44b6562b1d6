/**
 * A seeded, saveable source of random numbers (xoroshiro128+ from the `pure-rand` library). Its whole
 * state is four 32-bit integers, saved with the component that owns the source, so a loaded system
 * draws exactly the numbers the saved one would have drawn next.
 *
 * State: `${path}.msgpack` = `{ algorithm: 'xoroshiro128plus', state: Int32Array(4) }`.
 */
import { randomBytes } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';
import { readMsgpack, stageMsgpack } from '../persistence/component-files.js';
import type { PersistentState } from '../persistence/persistent.js';

const ALGORITHM = 'xoroshiro128plus';

/** A 32-bit seed from the operating system's entropy. */
export function entropySeed(): number {
  return randomBytes(4).readInt32LE(0);
}

export class RandomSource implements PersistentState {
  private rng: JumpableRandomGenerator;

  /**
   * @param seed any safe integer (only its low 32 bits matter); a seed from the OS when omitted.
   * @throws RangeError when `seed` is not a safe integer.
   */
  constructor(seed: number = entropySeed()) {
    this.rng = xoroshiro128plus(checkSeed(seed));
  }

  /** Restarts the sequence from `seed`. @throws RangeError when `seed` is not a safe integer. */
  seed(seed: number): void {
    this.rng = xoroshiro128plus(checkSeed(seed));
  }

  /** A float uniform in [0, 1) with 53 random bits (a drop-in for `Math.random`). */
  random(): number {
    return uniformFloat64(this.rng);
  }

  /** An integer uniform in [0, n). @throws RangeError unless `n` is a positive safe integer. */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`n must be a positive safe integer, got ${n}`);
    return uniformInt(this.rng, 0, n - 1);
  }

  /** A standard normal variate (Box–Muller on two uniforms). */
  normal(): number {
    const u = 1 - this.random(); // (0, 1]
    const v = this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** `random` bound to this source, for APIs taking a `() => number`. */
  get asFunction(): () => number {
    return () => this.random();
  }

  /** A new independent source whose sequence is this one's after 2^64 draws (xoroshiro's jump). */
  split(): RandomSource {
    const child = Object.create(RandomSource.prototype) as RandomSource;
    const jumped = this.rng.clone();
    jumped.jump();
    child.rng = jumped;
    // Advance this source too, so that two splits never return the same sequence.
    this.rng.jump();
    this.rng.jump();
    return child;
  }

  /** The generator's state (four 32-bit integers). */
  getState(): Int32Array {
    return Int32Array.from(this.rng.getState());
  }

  /** Continues from a state returned by {@link getState}. @throws TypeError for anything else. */
  setState(state: ArrayLike<number>): void {
    if (state.length !== 4 || !Array.from(state).every((v) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31)) {
      throw new TypeError(`expected the state of a ${ALGORITHM} generator (four 32-bit integers)`);
    }
    this.rng = xoroshiro128plusFromState(Array.from(state));
  }

  saveState(path: string): Promise<void> {
    return stageMsgpack(`${path}.msgpack`, { algorithm: ALGORITHM, state: this.getState() });
  }

  /** @throws TypeError when the file does not hold the state of this kind of generator. */
  async loadState(path: string): Promise<void> {
    const file = `${path}.msgpack`;
    const saved = await readMsgpack<{ algorithm?: unknown; state?: unknown }>(file);
    if (saved?.algorithm !== ALGORITHM || !(saved.state instanceof Int32Array)) {
      throw new TypeError(`${file}: not the state of a ${ALGORITHM} random source`);
    }
    this.setState(saved.state);
  }
}

function checkSeed(seed: number): number {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
  return seed | 0;
}
