/**
 * Hostile or careless values and bytes at the codec: `__proto__` keys, nesting bombs, values that would
 * not read back the same. Run on both backends (PAMIQ_BACKEND=native / ts).
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backend } from '../../src/backend/select.js';
import { EngineError } from '../../src/backend/types.js';
import { encodeValue, SerializationError, decodeValue } from '../../src/codec/values.js';
import { DataUsersDict, SequentialBuffer } from '../../src/data/index.js';
import { StateStore } from '../../src/state/store.js';
import { tmpDir } from '../helpers/tmp.js';

const name = backend().name;

async function saveAndLoad(t: Parameters<typeof tmpDir>[0], items: unknown[]): Promise<unknown[]> {
  const dir = tmpDir(t);
  const buffer = new SequentialBuffer<unknown>(100);
  for (const x of items) buffer.add(x);
  const store = new StateStore({ statesDir: dir });
  store.register('data', DataUsersDict.fromDataBuffers({ buf: buffer }));
  const path = await store.saveState();
  const fresh = new SequentialBuffer<unknown>(100);
  const loader = new StateStore({ statesDir: dir });
  loader.register('data', DataUsersDict.fromDataBuffers({ buf: fresh }));
  await loader.loadState(path);
  return fresh.getData();
}

// ---- __proto__ keys: whatever saves must load, and nothing is polluted

test(`[${name}] items with __proto__ keys save and load as own properties, without prototype pollution`, async (t) => {
  const parsed = () => JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as Record<string, unknown>;
  const cases: unknown[][] = [
    [parsed(), parsed()], // a record batch whose key is __proto__
    [parsed(), 7], // item by item
    [{ nested: parsed() }, 'x'], // inside a value
  ];
  for (const items of cases) {
    const back = await saveAndLoad(t, items);
    t.is(back.length, items.length);
    const item = (Array.isArray(back) && typeof back[0] === 'object' ? back[0] : undefined) as Record<string, unknown>;
    const obj = ('nested' in item ? item.nested : item) as Record<string, unknown>;
    t.true(Object.hasOwn(obj, '__proto__'), 'an own property');
    t.is(Object.getPrototypeOf(obj), Object.prototype, 'the prototype is untouched');
    t.deepEqual(Object.getOwnPropertyDescriptor(obj, '__proto__')?.value, { polluted: true });
    t.is(JSON.stringify(back), JSON.stringify(items));
  }
  t.is(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype is not polluted');
});

// ---- decoding is bounded by depth and by the size of the input

/** A buffer file (format 2) whose single column is `column` (raw bytes). */
function bufferFile(column: Uint8Array): Uint8Array {
  const meta = encodeValue({
    format: 'pamiq-buffer',
    version: 2,
    kind: 'SequentialBuffer',
    config: { maxSize: 100 },
    columns: ['items'],
  });
  const out = new Uint8Array(meta.length + column.length);
  out.set(meta);
  out.set(column, meta.length);
  return out;
}

async function loadRaw(t: Parameters<typeof tmpDir>[0], bytes: Uint8Array): Promise<unknown> {
  const dir = tmpDir(t);
  writeFileSync(join(dir, 'buf.msgpack'), bytes);
  const b = new SequentialBuffer<unknown>(100);
  await b.loadState(join(dir, 'buf'));
  return b.getData();
}

test(`[${name}] a 10 MB nesting bomb is refused with EBADMSGPACK, not decoded`, async (t) => {
  const depth = 10_000_000;
  const bomb = new Uint8Array(depth + 2);
  bomb[0] = 0x91; // the list: one item
  bomb.fill(0x91, 1, depth + 1); // each a one-element array of the next
  bomb[depth + 1] = 0x90;
  const err = await t.throwsAsync(loadRaw(t, bufferFile(bomb)), { instanceOf: EngineError });
  t.is((err as EngineError).code, 'EBADMSGPACK');
  t.regex(err!.message, /nested deeper than 128 levels/);
});

test(`[${name}] nesting inside a record batch and declared lengths beyond the input are refused alike`, async (t) => {
  // A record batch map whose "columns" entry is a nesting bomb.
  const head = encodeValue({ layout: 'records', count: 1, keys: ['a'], kinds: ['value'], widths: [0] });
  const map = head.slice();
  map[0] = 0x86;
  const tail = new Uint8Array(2000).fill(0x91);
  const batch = new Uint8Array([...map, ...encodeValue('columns'), ...tail, 0x90]);
  let err = await t.throwsAsync(loadRaw(t, bufferFile(batch)), { instanceOf: EngineError });
  t.is((err as EngineError).code, 'EBADMSGPACK');
  // array32 announcing 2^32 − 1 items, and a map announcing 2^32 − 1 entries, in a few bytes.
  for (const bytes of [
    new Uint8Array([0x91, 0xdd, 0xff, 0xff, 0xff, 0xff, 0]),
    new Uint8Array([0x91, 0xdf, 0xff, 0xff, 0xff, 0xff, 0]),
  ]) {
    err = await t.throwsAsync(loadRaw(t, bufferFile(bytes)), { instanceOf: EngineError });
    t.is((err as EngineError).code, 'EBADMSGPACK');
  }
  t.throws(() => decodeValue(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff])), {
    instanceOf: EngineError,
    message: /announced/,
  });
});

test(`[${name}] values nested as deep as the encoder writes still load`, async (t) => {
  let deep: unknown = 1;
  for (let i = 0; i < 99; i++) deep = [deep];
  const items = [{ d: deep }, { d: deep }];
  t.deepEqual(await saveAndLoad(t, items), items);
});

// ---- values that would change on a round trip are refused with the item's path

class Point {
  constructor(
    public x: number,
    public y: number,
  ) {}
}

const REFUSED: [string, () => unknown, RegExp][] = [
  ['a RegExp', () => ({ step: 1, re: /a+/g }), /cannot write a RegExp .* at \[0\]\.re/],
  ['a boxed Number', () => ({ step: 1, n: new Number(3) }), /cannot write a boxed primitive .* at \[0\]\.n/],
  ['an invalid Date', () => ({ step: 1, when: new Date(NaN) }), /cannot write an invalid Date .* at \[0\]\.when/],
  ['undefined as a field', () => ({ step: 1, u: undefined }), /cannot write undefined .* at \[0\]\.u/],
  ['undefined in an array', () => ({ step: 1, list: [1, undefined] }), /cannot write undefined .* at \[0\]\.list\[1\]/],
  ['a class instance', () => ({ step: 1, p: new Point(1, 2) }), /cannot write an instance of Point .* at \[0\]\.p/],
  [
    'a short lone surrogate',
    () => ({ step: 1, s: 'a\ud800' }),
    /cannot write a string with a lone surrogate .* at \[0\]\.s/,
  ],
  [
    'a long lone surrogate',
    () => ({ step: 1, s: `${'x'.repeat(500)}\udc00` }),
    /cannot write a string with a lone surrogate .* at \[0\]\.s/,
  ],
  ['a DataView', () => ({ step: 1, v: new DataView(new ArrayBuffer(4)) }), /cannot write a DataView .* at \[0\]\.v/],
];

for (const [kind, make, reason] of REFUSED) {
  for (const shape of ['a record batch', 'item by item'] as const) {
    test(`[${name}] a save of ${kind} (${shape}) is refused with the item's path`, async (t) => {
      const items = shape === 'a record batch' ? [make(), make()] : [make(), 'other'];
      const err = await t.throwsAsync(saveAndLoad(t, items));
      const cause = findCause(err);
      t.true(cause instanceof SerializationError, String(err));
      t.regex(cause!.message, reason);
    });
  }
}

function findCause(err: unknown): SerializationError | undefined {
  for (let e = err; e; e = (e as { cause?: unknown }).cause) {
    if (e instanceof SerializationError) return e;
    const inner = (e as { errors?: unknown[] }).errors?.find((x) => x instanceof SerializationError);
    if (inner) return inner as SerializationError;
  }
  return undefined;
}

test(`[${name}] valid Dates, null-prototype objects and Node Buffers are written (documented read-backs)`, async (t) => {
  const date = new Date('2026-01-02T03:04:05.678Z');
  const bare = Object.assign(Object.create(null) as object, { k: 1 });
  const back = (await saveAndLoad(t, [{ date, bare, buf: Buffer.from([1, 2]) }, 'x'])) as Record<string, unknown>[];
  t.deepEqual(back[0]!.date, date);
  t.deepEqual(back[0]!.bare, { k: 1 });
  t.deepEqual(back[0]!.buf, new Uint8Array([1, 2]));
});
