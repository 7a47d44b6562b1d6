/**
 * Shared vectors and helpers of the engine specs: both backends, skipped-with-reason registration of
 * native cases, temporary directories, a seeded PRNG and the value vectors the codec and parity specs use.
 * Recorded expected outputs (bytes, hashes) are not written here: they come from the conformance data
 * (conformance/vectors/, see {@link conformanceOutcome}).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { nativeEngine, typescriptEngine } from '../../src/backend/select.js';
import type { Engine } from '../../src/backend/types.js';
import { concat } from '../helpers/bytes.js';
import { rng } from '../helpers/rng.js';
import { readJson, readNumber, type NumberNote } from '../conformance/data.js';
import type { Vector } from '../conformance/evaluate.js';

export { concat, rng };

export const native: Engine | undefined = nativeEngine();
export const twin: Engine = typescriptEngine();
export { nativeSkipReason } from '../helpers/native-skip.js';
import { nativeSkipReason } from '../helpers/native-skip.js';

/** The backends a spec runs on: the twin always, native when it loaded. */
export const engines: { label: string; engine: Engine | undefined }[] = [
  { label: 'ts', engine: twin },
  { label: 'native', engine: native },
];

/** Registers `title` once per backend; the native case is a visible skip when native did not load. */
export function eachEngine(title: string, impl: (t: ExecutionContext, engine: Engine) => unknown): void {
  for (const { label, engine } of engines) {
    if (engine) test(`${title} (${label})`, (t) => impl(t, engine));
    else test.skip(`${title} (${label}) — skipped: ${nativeSkipReason}`, () => undefined);
  }
}

/** Registers a parity test comparing native with the twin; a visible skip when native did not load. */
export function parity(title: string, impl: (t: ExecutionContext, native: Engine, ts: Engine) => unknown): void {
  if (native) test(title, (t) => impl(t, native, twin));
  else test.skip(`${title} — skipped: ${nativeSkipReason}`, () => undefined);
}

/** A fresh directory removed when the test ends. */
export function tmp(t: ExecutionContext, prefix = 'pamiq-engine-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `files` (relative path → contents) below `root`, creating directories. */
export function writeTree(root: string, files: Record<string, string | Uint8Array>): void {
  for (const [rel, content] of Object.entries(files)) {
    const abs = join(root, ...rel.split('/'));
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, content);
  }
}

/** A plain Uint8Array copy (Buffer and Uint8Array compare equal after this). */
export function plain(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

export function randomBytes(next: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(next() * 256);
  return out;
}

/** The vectors of conformance/vectors/<kind>.json. */
export function conformanceVectors(kind: string): Vector[] {
  return readJson<{ vectors: Vector[] }>(`vectors/${kind}.json`).vectors;
}

/** The recorded outcome (`expect`) of the conformance vector `name` of `kind`. */
export function conformanceOutcome<T = unknown>(kind: string, name: string): { input: any; expect: T } {
  const v = conformanceVectors(kind).find((x) => x.name === name);
  if (!v) throw new Error(`no conformance vector ${JSON.stringify(name)} in vectors/${kind}.json`);
  return { input: v.input, expect: v.expect as T };
}

/**
 * Numbers at every boundary of msgpack's integer forms, plus floats and specials: the inputs of the
 * conformance vector "every edge number as scalars" (conformance/vectors/encode-numbers.json).
 */
export const EDGE_NUMBERS: readonly number[] = (
  conformanceOutcome('encode-numbers', 'every edge number as scalars').input.values as NumberNote[]
).map(readNumber);

/** Random numbers mixing small ints, big ints, fractions and specials. */
export function randomNumbers(next: () => number, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = next();
    if (r < 0.3) out[i] = Math.floor(next() * 256) - 128;
    else if (r < 0.5) out[i] = Math.floor((next() - 0.5) * 2 ** 40);
    else if (r < 0.6) out[i] = Math.floor((next() - 0.5) * 2 ** 54);
    else if (r < 0.9) out[i] = (next() - 0.5) * 1e6;
    else out[i] = EDGE_NUMBERS[Math.floor(next() * EDGE_NUMBERS.length)]!;
  }
  return out;
}

/** One small typed array of every dtype (code = index + 1). */
export function typedArraysOfEveryDtype(): ArrayBufferView[] {
  return [
    new Int8Array([-128, -1, 0, 1, 127]),
    new Uint8Array([0, 1, 254, 255]),
    new Uint8ClampedArray([0, 128, 255]),
    new Int16Array([-32768, -1, 0, 32767]),
    new Uint16Array([0, 1, 65535]),
    new Int32Array([-(2 ** 31), -1, 0, 2 ** 31 - 1]),
    new Uint32Array([0, 1, 2 ** 32 - 1]),
    new Float32Array([0, -1.5, 3.25, Infinity, NaN]),
    new Float64Array([0, -1.5, Math.PI, -Infinity, NaN, 2 ** 60]),
    new BigInt64Array([-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n]),
    new BigUint64Array([0n, 1n, 2n ** 64n - 1n]),
  ];
}

/** Generic values covering every kind the codec writes. */
export function mixedValues(): unknown[] {
  return [
    null,
    true,
    false,
    0,
    -1.5,
    'a string',
    'ünïcödé ✓ 🎉',
    '',
    'x'.repeat(300),
    [],
    [1, 'two', [3, [4]]],
    {},
    { obs: { pos: [1, 2, 3], label: 'left' }, reward: -0.25, done: false },
    { nested: { tensor: new Float32Array([1, 2, 3]), ints: new Int16Array([-5, 5]) } },
    new Date(1764075695123),
    12345678901234567890n,
    -98765432109876543210n,
    new Uint8Array([1, 2, 3]),
    [new Float64Array([0.5]), { deep: [new BigInt64Array([-7n])] }],
  ];
}

/** A committed state made by `engine` from `files`, in a fresh states dir. */
export async function makeState(
  t: ExecutionContext,
  engine: Engine,
  files: Record<string, string | Uint8Array>,
  opts: { statesDir?: string; name?: string; createdAtNs?: string } = {},
): Promise<{ statesDir: string; path: string; name: string }> {
  const statesDir = opts.statesDir ?? tmp(t);
  const tmpDir = join(
    statesDir,
    `.pamiq-tmp-x-${process.pid}-${Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0')}`,
  );
  mkdirSync(tmpDir);
  writeTree(tmpDir, files);
  const r = await engine.commitState({
    tmpDir,
    statesDir,
    name: opts.name ?? 'a.state',
    known: {},
    library: { name: 'pamiq-core', version: '0.1.0' },
    createdAtNs: opts.createdAtNs ?? '1764075695123456789',
    components: ['data', 'time'],
  });
  return { statesDir, path: r.path, name: r.name };
}

/** The code of an EngineError-like rejection. */
export async function codeOf(p: Promise<unknown> | (() => unknown)): Promise<string | undefined> {
  try {
    await (typeof p === 'function' ? p() : p);
    return undefined;
  } catch (err) {
    return (err as { code?: string }).code ?? `(no code) ${(err as Error).message}`;
  }
}

export { sealManifest } from '../helpers/seal.js';
