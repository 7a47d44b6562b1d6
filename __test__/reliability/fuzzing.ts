/**
 * JS-level fuzzing of the engine's parsers, shared by fuzz.spec.ts (short) and fuzz.ts (long):
 * random and mutated bytes into `scanList`, random and mutated manifests written to disk and then
 * `readState` / `verifyState` / `scanStates`. An input must give a result or an EngineError with a
 * documented code — never a panic (which aborts the process), another error type, a result that
 * points outside the input, or a "valid" state whose manifest reaches outside the state directory.
 * When a second engine is given, both must agree (the twin contract).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { EngineError, type Engine, type ListScan } from '../../src/backend/types.js';
import { encodeList } from '../../src/codec/list.js';
import { concat } from '../helpers/bytes.js';

const CODES = new Set([
  'ENOENT',
  'EEXIST',
  'ENOTSTATE',
  'EBADMANIFEST',
  'ENEWERFORMAT',
  'EBADENTRY',
  'EBADMSGPACK',
  'EIO',
]);

type Outcome = { ok: unknown } | { code: string; message: string };

function outcomeOf(run: () => unknown): Outcome {
  try {
    return { ok: run() };
  } catch (err) {
    return errorOutcome(err);
  }
}

async function outcomeOfAsync(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: await run() };
  } catch (err) {
    return errorOutcome(err);
  }
}

function errorOutcome(err: unknown): Outcome {
  if (
    err instanceof EngineError ||
    (err instanceof Error && typeof (err as { code?: unknown }).code === 'string' && err.name === 'EngineError')
  ) {
    return { code: (err as EngineError).code, message: err.message };
  }
  return {
    code: `NOT-AN-ENGINE-ERROR ${(err as Error)?.constructor?.name}`,
    message: String((err as Error)?.stack ?? err),
  };
}

const hex = (b: Uint8Array) =>
  Buffer.from(b.subarray(0, 64)).toString('hex') + (b.length > 64 ? `…(${b.length} bytes)` : '');

function randomBytes(random: () => number, max: number): Uint8Array {
  const out = new Uint8Array(Math.floor(random() * max));
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(random() * 256);
  return out;
}

/** A valid list of one of the three kinds, encoded by the shared codec. */
function validList(random: () => number): Uint8Array {
  const n = Math.floor(random() * 20);
  const pick = random();
  let items: unknown[];
  if (pick < 0.33) {
    const width = random() < 0.5 ? 0 : 1 + Math.floor(random() * 3);
    items = Array.from({ length: n }, (_, i) =>
      width === 0
        ? random() < 0.5
          ? i
          : random() * 1e6 - 5e5
        : Array.from({ length: width }, () => random() * 100 - 50),
    );
  } else if (pick < 0.66) {
    const ctors = [
      Int8Array,
      Uint8Array,
      Int16Array,
      Uint16Array,
      Int32Array,
      Float32Array,
      Float64Array,
      BigInt64Array,
    ] as const;
    items = Array.from({ length: n }, () => {
      const C = ctors[Math.floor(random() * ctors.length)]!;
      const len = Math.floor(random() * 9);
      return C === BigInt64Array ? new BigInt64Array(len) : new (C as Float64ArrayConstructor)(len).fill(7);
    });
  } else {
    items = Array.from({ length: n }, (_, i) => (random() < 0.5 ? { i, s: 'x'.repeat(i) } : [i, null, true, 'y']));
  }
  return concat(encodeList(items, 0));
}

function mutate(bytes: Uint8Array, random: () => number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const r = random();
  if (r < 0.4 && out.length) {
    for (let k = 0; k < 1 + Math.floor(random() * 3); k++)
      out[Math.floor(random() * out.length)] = Math.floor(random() * 256);
    return out;
  }
  if (r < 0.7) return out.subarray(0, Math.floor(random() * out.length));
  const at = Math.floor(random() * (out.length + 1));
  const insert = [0xc7, 0xc8, 0xc9, 0xd4, 0xd8, 0xdc, 0xdd, 0xcb, 0xff, 0x00, 0x7f][Math.floor(random() * 11)]!;
  return concat([out.subarray(0, at), Uint8Array.of(insert, 0xff, 0xff, 0xff, 0xff), out.subarray(at)]);
}

function checkScan(bytes: Uint8Array, offset: number, o: Outcome): string | undefined {
  if (!('ok' in o)) return CODES.has(o.code) ? undefined : `${o.code}: ${o.message}`;
  const s = o.ok as ListScan;
  if (!(s.end >= offset && s.end <= bytes.length)) return `end ${s.end} outside [${offset}, ${bytes.length}]`;
  if (s.kind === 'tensors') {
    for (let i = 0; i < s.count; i++) {
      if (s.offsets[i]! + s.byteLengths[i]! > bytes.length) return `tensor ${i} reaches past the input`;
    }
  }
  return undefined;
}

export interface FuzzStats {
  cases: number;
  results: number;
  errors: number;
  failures: string[];
}

const newStats = (): FuzzStats => ({ cases: 0, results: 0, errors: 0, failures: [] });

/** Random and mutated bytes into `scanList`. */
export function fuzzScanList(eng: Engine, iterations: number, random: () => number, twin?: Engine): FuzzStats {
  const stats = newStats();
  for (let i = 0; i < iterations; i++) {
    const r = random();
    const bytes = r < 0.3 ? randomBytes(random, 256) : r < 0.9 ? mutate(validList(random), random) : validList(random);
    const offset = random() < 0.8 ? 0 : Math.floor(random() * (bytes.length + 4));
    const o = outcomeOf(() => eng.scanList(bytes, offset));
    stats.cases++;
    if ('ok' in o) stats.results++;
    else stats.errors++;
    const bad = checkScan(bytes, offset, o);
    if (bad) stats.failures.push(`scanList(${hex(bytes)}, ${offset}) [${eng.name}]: ${bad}`);
    if (twin) {
      const o2 = outcomeOf(() => twin.scanList(bytes, offset));
      const same = 'ok' in o ? 'ok' in o2 && isDeepStrictEqual(o.ok, o2.ok) : 'code' in o2 && o2.code === o.code;
      if (!same) {
        stats.failures.push(
          `scanList(${hex(bytes)}, ${offset}): ${eng.name} ${JSON.stringify(summary(o))} but ${twin.name} ${JSON.stringify(summary(o2))}`,
        );
      }
    }
  }
  return stats;
}

function summary(o: Outcome): unknown {
  if (!('ok' in o)) return { code: o.code, message: o.message.slice(0, 200) };
  const v = o.ok as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(v).map(([k, x]) => [k, ArrayBuffer.isView(x) ? Array.from(x as Float64Array) : x]),
  );
}

/** A JSON value to put where a manifest field was. */
function oddValue(random: () => number): unknown {
  const pool: unknown[] = [
    null,
    -1,
    0,
    1.5,
    2,
    1e300,
    Number.MAX_SAFE_INTEGER + 2,
    '',
    'x',
    '../outside.bin',
    '/etc/hostname',
    'a//b',
    'a/./b',
    'C:\\x',
    '0x10',
    '-1',
    '1e5',
    '18446744073709551616',
    'ABCDEF0123456789',
    'abc',
    [],
    {},
    [1, 'a'],
    { path: 'a.bin' },
    true,
    'é'.repeat(40),
  ];
  return pool[Math.floor(random() * pool.length)];
}

/** A structural mutation of a valid manifest object. */
function mutateManifest(m: Record<string, any>, random: () => number): Record<string, any> {
  const c = JSON.parse(JSON.stringify(m)) as Record<string, any>;
  const r = random();
  const keys = Object.keys(c);
  if (r < 0.25) c[keys[Math.floor(random() * keys.length)]!] = oddValue(random);
  else if (r < 0.5 && c.files.length) {
    const f = c.files[Math.floor(random() * c.files.length)];
    const fk = ['path', 'size', 'xxh3'][Math.floor(random() * 3)]!;
    f[fk] = oddValue(random);
  } else if (r < 0.6) delete c[keys[Math.floor(random() * keys.length)]!];
  else if (r < 0.7)
    c.files.push({ ...c.files[0] }); // duplicate path
  else if (r < 0.8) c.files.reverse();
  else if (r < 0.9) c.files.push({ path: '../secret.bin', size: 6, xxh3: SECRET_XXH3 });
  else c[`extra${Math.floor(random() * 3)}`] = oddValue(random);
  return c;
}

let SECRET_XXH3 = '';

function escapes(manifestText: string): boolean {
  try {
    const m = JSON.parse(manifestText) as { files?: { path?: unknown }[] };
    return (m.files ?? []).some(
      (f) => typeof f?.path === 'string' && (f.path.split(/[\\/]/).includes('..') || /^([\\/]|[A-Za-z]:)/.test(f.path)),
    );
  } catch {
    return false;
  }
}

/**
 * Manifests written to disk (random bytes, byte-level and structural mutations of a valid one), then
 * readState, verifyState and scanStates on them. `dir` is a scratch directory.
 */
export async function fuzzManifests(
  eng: Engine,
  dir: string,
  iterations: number,
  random: () => number,
  twin?: Engine,
): Promise<FuzzStats> {
  const stats = newStats();
  const states = join(dir, 'states');
  const state = join(states, 'fuzz.state');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(state, 'd'), { recursive: true });
  const secret = new TextEncoder().encode('secret');
  writeFileSync(join(states, 'secret.bin'), secret);
  SECRET_XXH3 = eng.xxh3(secret);
  const a = new TextEncoder().encode('alpha contents');
  const b = new Uint8Array(1000).fill(3);
  writeFileSync(join(state, 'a.bin'), a);
  writeFileSync(join(state, 'd', 'b.bin'), b);
  const valid = {
    format: 'pamiq-state',
    formatVersion: 1,
    library: { name: 'pamiq-core', version: '0.1.0' },
    createdAtNs: '1764075695123456789',
    components: ['a', 'd'],
    files: [
      { path: 'a.bin', size: a.length, xxh3: eng.xxh3(a) },
      { path: 'd/b.bin', size: b.length, xxh3: eng.xxh3(b) },
    ],
  };
  const validText = JSON.stringify(valid, null, 2);
  for (let i = 0; i < iterations; i++) {
    const r = random();
    let text: Uint8Array;
    if (r < 0.15) text = randomBytes(random, 400);
    else if (r < 0.45) text = mutate(new TextEncoder().encode(validText), random);
    else text = new TextEncoder().encode(JSON.stringify(mutateManifest(valid, random), null, random() < 0.5 ? 2 : 0));
    writeFileSync(join(state, 'manifest.json'), text);
    const asText = Buffer.from(text).toString('utf8');
    const what = `manifest ${JSON.stringify(asText.slice(0, 300))}`;
    const runs: [string, (e: Engine) => Promise<unknown>][] = [
      [
        'readState',
        async (e) => {
          const res = await e.readState(state);
          return { ...res, files: [...res.files.keys()].sort() };
        },
      ],
      ['verifyState', (e) => e.verifyState(state)],
      ['scanStates', (e) => e.scanStates(states, '*.state')],
    ];
    for (const [fn, run] of runs) {
      const o = await outcomeOfAsync(() => run(eng));
      stats.cases++;
      if ('ok' in o) stats.results++;
      else stats.errors++;
      if (!('ok' in o) && !CODES.has(o.code))
        stats.failures.push(`${fn} [${eng.name}] on ${what}: ${o.code}: ${o.message}`);
      if ('ok' in o && fn !== 'scanStates' && escapes(asText)) {
        stats.failures.push(`${fn} [${eng.name}] accepted a manifest reaching outside the state: ${what}`);
      }
      if (twin) {
        const o2 = await outcomeOfAsync(() => run(twin));
        const same =
          'ok' in o
            ? 'ok' in o2 && isDeepStrictEqual(normalize(o.ok), normalize(o2.ok))
            : 'code' in o2 && o2.code === o.code;
        if (!same) {
          stats.failures.push(
            `${fn} on ${what}: ${eng.name} ${JSON.stringify(brief(o))} but ${twin.name} ${JSON.stringify(brief(o2))}`,
          );
        }
      }
    }
  }
  return stats;
}

/** Drops what legitimately differs between runs (mtimes). */
function normalize(v: unknown): unknown {
  return JSON.parse(JSON.stringify(v, (k, x) => (k === 'mtimeMs' ? 0 : x)));
}

function brief(o: Outcome): unknown {
  return 'ok' in o ? normalize(o.ok) : { code: o.code, message: o.message.slice(0, 200) };
}
