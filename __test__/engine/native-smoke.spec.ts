/**
 * Native-only smoke test: loads the binding through the generated ESM loader and calls every engine
 * function once through the adapter. A visible skip when the binding is not built.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { encode } from '@msgpack/msgpack';
import { createNativeEngine, MAX_SEGMENTS_PER_CALL } from '../../src/backend/native.js';
import type { Engine } from '../../src/backend/types.js';
import { EngineError } from '../../src/backend/types.js';
import { readJson } from '../conformance/data.js';

let engine: Engine | undefined;
let why = '';
try {
  engine = createNativeEngine(await import('../../index.js'));
} catch (err) {
  why = err instanceof Error ? err.message : String(err);
}

function smoke(title: string, impl: (t: ExecutionContext, e: Engine) => unknown): void {
  if (engine) test(title, (t) => impl(t, engine!));
  else test.skip(`${title} — skipped: native binding unavailable: ${why}`, () => undefined);
}

function tmp(t: ExecutionContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'pamiq-native-smoke-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

smoke('every engine function, once', async (t, e) => {
  t.is(e.name, 'native');
  const states = tmp(t);
  const tmpDir = join(states, '.pamiq-tmp-a.state-1-0000abcd');
  mkdirSync(join(tmpDir, 'data', 'buf'), { recursive: true });

  // createWriter: any ArrayBufferView, batches beyond MAX_SEGMENTS_PER_CALL.
  const w = e.createWriter(join(tmpDir, 'data', 'buf', 'buffer.msgpack'));
  const segs = Array.from({ length: MAX_SEGMENTS_PER_CALL + 10 }, (_, i) => new Uint8Array([i & 0xff]));
  await w.append([new Float32Array([1.5, 2]), new DataView(new ArrayBuffer(3)), ...segs]);
  await w.append([]);
  const digest = await w.finish();
  const written = readFileSync(join(tmpDir, 'data', 'buf', 'buffer.msgpack'));
  t.is(digest.size, 8 + 3 + segs.length);
  t.is(digest.xxh3, e.xxh3(written));
  writeFileSync(join(tmpDir, 'time.msgpack'), Uint8Array.from(encode(1.25)));

  // commitState
  const res = await e.commitState({
    tmpDir,
    statesDir: states,
    name: 'a.state',
    known: { 'data/buf/buffer.msgpack': digest },
    library: { name: 'pamiq-core', version: '0.1.0' },
    createdAtNs: '1764075695123456789',
    components: ['data', 'time'],
  });
  t.is(res.name, 'a.state');
  t.is(res.path, join(states, 'a.state'));
  t.is(readFileSync(join(res.path, 'manifest.json'), 'utf8'), JSON.stringify(res.manifest, null, 2));
  t.deepEqual(
    res.manifest.files.map((f) => f.path),
    ['data/buf/buffer.msgpack', 'time.msgpack'],
  );

  // readState / verifyState
  const read = await e.readState(res.path);
  t.deepEqual(read.problems, []);
  t.deepEqual(read.manifest, res.manifest);
  t.deepEqual(read.files.get('data/buf/buffer.msgpack'), new Uint8Array(written));
  t.true(read.files.get('time.msgpack') instanceof Uint8Array);
  writeFileSync(join(res.path, 'time.msgpack'), 'xx');
  const report = await e.verifyState(res.path);
  t.deepEqual(report.problems, [{ path: 'time.msgpack', fault: 'size', detail: 'expected 9 bytes, found 2' }]);

  // scanStates
  mkdirSync(join(states, 'b.state'));
  mkdirSync(join(states, '.pamiq-trash-x-12345678'));
  const scan = await e.scanStates(states, '*.state');
  t.deepEqual(
    scan.entries.map((x) => [x.name, x.valid, x.reason]),
    [
      ['a.state', true, undefined],
      ['b.state', false, 'no manifest.json'],
    ],
  );
  t.is(
    scan.entries[0]!.size,
    res.manifest.files.reduce((s, f) => s + f.size, 0),
  );
  t.deepEqual(scan.leftovers, ['.pamiq-trash-x-12345678']);

  // removeStates / removeLeftovers
  const out = await e.removeStates([res.path, join(states, 'nope')]);
  t.deepEqual(out[0], { path: res.path, removed: true });
  t.false(out[1]!.removed);
  t.regex(out[1]!.error ?? '', /^ENOENT: /);
  t.false(existsSync(res.path));
  t.deepEqual(await e.removeLeftovers(states), ['.pamiq-trash-x-12345678']);

  // encodeNumbers / scanList / xxh3
  const values = new Float64Array([0, -0, 1.5, -33, 2 ** 40, NaN]);
  const items = e.encodeNumbers(values, 0);
  t.deepEqual(Buffer.from(items), Buffer.concat([...values].map((v) => Buffer.from(encode(v)))));
  const list = new Uint8Array([0x96, ...items]);
  const s = e.scanList(list, 0);
  t.is(s.kind, 'numbers');
  if (s.kind === 'numbers') {
    t.is(s.count, 6);
    t.is(s.width, 0);
    t.is(s.end, list.length);
    t.deepEqual([...s.values].slice(0, 5), [0, 0, 1.5, -33, 2 ** 40]);
  }
  const hello = readJson<{ vectors: { name: string; expect: { xxh3: string } }[] }>('vectors/xxh3.json').vectors.find(
    (v) => v.name === 'hello world',
  )!;
  t.is(e.xxh3(new TextEncoder().encode('hello world')), hello.expect.xxh3);
});

smoke('errors carry the documented codes', async (t, e) => {
  const dir = tmp(t);
  const err = await t.throwsAsync(e.readState(join(dir, 'missing')), { instanceOf: EngineError });
  t.is(err?.code, 'ENOENT');
  t.true(err?.message.includes(join(dir, 'missing')));
  t.is((await t.throwsAsync(e.verifyState(dir)))?.message, `'${dir}': no manifest.json`);
  writeFileSync(join(dir, 'f'), 'x');
  const w = e.createWriter(join(dir, 'f'));
  t.is((await t.throwsAsync(w.append([new Uint8Array(1)]), { instanceOf: EngineError }))?.code, 'EEXIST');
  await w.abort();
  t.is(readFileSync(join(dir, 'f'), 'utf8'), 'x');
  t.is(t.throws(() => e.scanList(new Uint8Array([0x92, 0x01]), 0), { instanceOf: EngineError })?.code, 'EBADMSGPACK');
  t.is(t.throws(() => e.scanList(new Uint8Array([0x90]), 5), { instanceOf: EngineError })?.code, 'EBADMSGPACK');
  t.is(t.throws(() => e.encodeNumbers(new Float64Array(3), 2), { instanceOf: EngineError })?.code, 'EINVAL');
  t.is(t.throws(() => e.encodeNumbers(new Float64Array(3), -1), { instanceOf: EngineError })?.code, 'EINVAL');
});

smoke('tensor lists report offsets into the scanned bytes', (t, e) => {
  // [ext8 len 16, type 1, dtype 9 (f64), pad 6, 6 × 0, 8 data bytes] at offset 3.
  const bytes = new Uint8Array([
    0xaa,
    0xbb,
    0xcc,
    0x91,
    0xc7,
    16,
    1,
    9,
    6,
    0,
    0,
    0,
    0,
    0,
    0,
    ...new Uint8Array(new Float64Array([2.5]).buffer),
  ]);
  const s = e.scanList(bytes, 3);
  t.deepEqual(s, {
    kind: 'tensors',
    count: 1,
    dtypes: new Uint8Array([9]),
    offsets: new Float64Array([15]),
    byteLengths: new Float64Array([8]),
    end: bytes.length,
  });
  t.deepEqual(e.scanList(new Uint8Array([0x90]), 0), {
    kind: 'numbers',
    count: 0,
    width: 0,
    values: new Float64Array(0),
    end: 1,
  });
});

smoke('PAMIQ_FAULT_ENOSPC_AFTER_BYTES makes a writer fail like a full disk', async (t, e) => {
  const path = join(tmp(t), 'f.bin');
  // Read when the writer is created (synchronously, on this thread); 0 = fail at the first byte.
  process.env.PAMIQ_FAULT_ENOSPC_AFTER_BYTES = '0';
  let w;
  try {
    w = e.createWriter(path);
  } finally {
    delete process.env.PAMIQ_FAULT_ENOSPC_AFTER_BYTES;
  }
  const err = await t.throwsAsync(w.append([new Uint8Array(10)]), { instanceOf: EngineError });
  t.is(err?.code, 'EIO');
  t.regex(err?.message ?? '', /No space left on device \(injected\)/);
  t.is((await t.throwsAsync(w.finish(), { instanceOf: EngineError }))?.code, 'EIO');
  await w.abort();
  t.false(existsSync(path));
  // A writer created without the variable is unaffected.
  const ok = e.createWriter(join(tmp(t), 'g.bin'));
  await ok.append([new Uint8Array(10)]);
  t.is((await ok.finish()).size, 10);
});
