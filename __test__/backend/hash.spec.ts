/**
 * The twin's XXH3-64: hash-wasm's xxhash3 binary instantiated synchronously (src/backend/ts/hash.ts)
 * gives the digests of hash-wasm's own asynchronous hasher and of the native engine, for one-shot and
 * streamed input of every size class of the algorithm (0, 1–3, 4–8, 9–16, 17–128, 129–240, longer,
 * and across the 16 KiB chunks the buffer is fed in).
 */
import test from 'ava';
import { createXXHash3 } from 'hash-wasm';
import { randomBytes } from 'node:crypto';
import { acquireHasher, releaseHasher, xxh3 } from '../../src/backend/ts/hash.js';
import { nativeEngine } from '../../src/backend/select.js';

const sizes = [0, 1, 3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 1024, 16383, 16384, 16385, 100_000, 1 << 20];

test('xxh3 of the empty input is XXH3-64 of nothing', (t) => {
  t.is(xxh3(new Uint8Array(0)), '2d06800538d394c2');
});

test('one-shot and streamed digests equal hash-wasm’s own hasher for every size class', async (t) => {
  const reference = await createXXHash3();
  for (const n of sizes) {
    const bytes = randomBytes(n);
    const expected = reference.init().update(bytes).digest('hex');
    t.is(xxh3(bytes), expected, `one-shot, ${n} bytes`);
    const h = await acquireHasher();
    try {
      for (let at = 0; at < n; at += 7001) h.update(bytes.subarray(at, at + 7001));
      t.is(h.digest('hex'), expected, `streamed in 7001-byte pieces, ${n} bytes`);
    } finally {
      releaseHasher(h);
    }
  }
});

test('pooled hashers start fresh and do not share state', async (t) => {
  const a = await acquireHasher();
  const b = await acquireHasher();
  a.update(Uint8Array.of(1, 2, 3));
  b.update(Uint8Array.of(4, 5, 6));
  t.is(a.digest('hex'), xxh3(Uint8Array.of(1, 2, 3)));
  t.is(b.digest('hex'), xxh3(Uint8Array.of(4, 5, 6)));
  releaseHasher(a);
  const again = await acquireHasher(); // `a`, reused: no bytes of the previous digest remain
  t.is(again.digest('hex'), xxh3(new Uint8Array(0)));
  releaseHasher(again);
  releaseHasher(b);
});

const native = nativeEngine();
(native ? test : test.skip)(
  `the twin's digests equal the native engine's${native ? '' : ' — SKIPPED: the native backend is not loaded'}`,
  (t) => {
    for (const n of sizes) {
      const bytes = randomBytes(n);
      t.is(xxh3(bytes), native!.xxh3(bytes), `${n} bytes`);
    }
  },
);
