import { encode } from '@msgpack/msgpack';
import test from 'ava';
import type { Engine } from '../../src/backend/types.js';
import { decodeBufferFile } from '../../src/codec/buffer-format.js';
import { decodeList, encodeList } from '../../src/codec/list.js';
import { concat, eachEngine, mixedValues, parity, randomBytes, rng, typedArraysOfEveryDtype } from './vectors.js';

/** Random inputs: pure noise, and valid lists with a few bytes changed or cut off. */
function* inputs(seed: number, n: number): Generator<Uint8Array> {
  const next = rng(seed);
  const seeds = [
    concat(encodeList(typedArraysOfEveryDtype(), 0)),
    concat(encodeList(mixedValues(), 0)),
    encode([1, 2.5, -3, 70000, 2 ** 40]),
    encode([
      [1, 2],
      [3, 4],
    ]),
  ];
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r < 0.4) {
      // noise, often starting like an array
      const b = randomBytes(next, Math.floor(next() * 64));
      if (b.length > 0 && next() < 0.7) b[0] = 0x90 + Math.floor(next() * 16);
      yield b;
    } else {
      const base = seeds[Math.floor(next() * seeds.length)]!.slice();
      const flips = 1 + Math.floor(next() * 4);
      for (let f = 0; f < flips; f++) base[Math.floor(next() * base.length)] = Math.floor(next() * 256);
      yield next() < 0.3 ? base.subarray(0, Math.floor(next() * base.length)) : base;
    }
  }
}

/** Only EngineErrors (with a code) may come out; anything else is a crash. */
function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string };
    return e.name === 'EngineError' && typeof e.code === 'string' ? e.code : `CRASH ${e.name}: ${e.message}`;
  }
}

eachEngine('never crashes on random bytes: scanList throws EngineError EBADMSGPACK or succeeds', (t, engine) => {
  let errors = 0;
  for (const bytes of inputs(42, 4000)) {
    const o = outcome(() => engine.scanList(bytes, 0));
    if (o !== 'ok') {
      errors++;
      if (o !== 'EBADMSGPACK') t.fail(`${o} for ${Buffer.from(bytes).toString('hex')}`);
    }
  }
  t.true(errors > 100, `the fuzzer hits errors (${errors})`);
});

test('never crashes on random bytes: decodeList and decodeBufferFile throw clean errors', (t) => {
  const crashes: string[] = [];
  for (const bytes of inputs(43, 4000)) {
    const a = outcome(() => decodeList(bytes, 0));
    const b = outcome(() => decodeBufferFile(bytes));
    for (const o of [a, b]) if (o.startsWith('CRASH')) crashes.push(`${o} for ${Buffer.from(bytes).toString('hex')}`);
  }
  t.deepEqual(crashes.slice(0, 5), []);
});

parity('classifies and rejects random bytes alike with both backends', (t, nat: Engine, ts: Engine) => {
  let mismatches = 0;
  for (const bytes of inputs(44, 4000)) {
    let a: unknown;
    let b: unknown;
    try {
      const s = nat.scanList(bytes, 0);
      a = { kind: s.kind, count: s.count, end: s.end };
    } catch (err) {
      a = (err as { code?: string }).code;
    }
    try {
      const s = ts.scanList(bytes, 0);
      b = { kind: s.kind, count: s.count, end: s.end };
    } catch (err) {
      b = (err as { code?: string }).code;
    }
    if (JSON.stringify(a) !== JSON.stringify(b) && mismatches++ < 5) {
      t.log(`${Buffer.from(bytes).toString('hex')}: native ${JSON.stringify(a)} ts ${JSON.stringify(b)}`);
    }
  }
  t.is(mismatches, 0);
});
