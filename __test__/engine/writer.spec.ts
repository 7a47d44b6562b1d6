import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import test from 'ava';
import type { EngineError } from '../../src/backend/types.js';
import {
  concat,
  conformanceOutcome,
  eachEngine,
  native,
  nativeSkipReason,
  parity,
  rng,
  randomBytes,
  tmp,
} from './vectors.js';

eachEngine('writes segments in order and reports their size and hash', async (t, engine) => {
  const path = join(tmp(t), 'f.bin');
  const w = engine.createWriter(path);
  const a = new Uint8Array([1, 2, 3]);
  const b = new Float64Array([1.5, -2]);
  const c = new Uint16Array([0x0102, 0x0304]).subarray(1); // a view with a byte offset
  await w.append([a, b]);
  await w.append([c, new Uint8Array(0)]);
  const digest = await w.finish();
  const expected = concat([a, b, c]);
  t.deepEqual(new Uint8Array(readFileSync(path)), expected);
  t.is(digest.size, expected.length);
  t.is(digest.xxh3, engine.xxh3(expected));
  t.regex(digest.xxh3, /^[0-9a-f]{16}$/);
});

eachEngine('writes an empty file when nothing is appended', async (t, engine) => {
  const path = join(tmp(t), 'empty.bin');
  const digest = await engine.createWriter(path).finish();
  t.deepEqual(digest, { size: 0, xxh3: conformanceOutcome<{ xxh3: string }>('xxh3', 'empty').expect.xxh3 });
  t.is(readFileSync(path).length, 0);
});

eachEngine('writes thousands of segments (more than IOV_MAX) in order', async (t, engine) => {
  const path = join(tmp(t), 'many.bin');
  const next = rng(7);
  const segments = Array.from({ length: 5000 }, (_, i) => randomBytes(next, 1 + (i % 13)));
  segments.push(randomBytes(next, 3 << 20)); // one big segment
  const w = engine.createWriter(path);
  await w.append(segments.slice(0, 2500));
  await w.append(segments.slice(2500));
  const digest = await w.finish();
  const expected = concat(segments);
  t.is(digest.size, expected.length);
  t.is(digest.xxh3, engine.xxh3(expected));
  t.true(Buffer.from(readFileSync(path)).equals(Buffer.from(expected)));
});

eachEngine('rejects with EEXIST naming the path when the file exists, and abort leaves it alone', async (t, engine) => {
  const path = join(tmp(t), 'taken.bin');
  writeFileSync(path, 'precious');
  const w = engine.createWriter(path);
  const err = await t.throwsAsync(w.append([new Uint8Array([1])]));
  t.is((err as EngineError).code, 'EEXIST');
  t.true(err!.message.includes(path), err!.message);
  await t.notThrowsAsync(w.abort());
  t.is(readFileSync(path, 'utf8'), 'precious');
});

eachEngine('abort closes and unlinks the file and never rejects', async (t, engine) => {
  const dir = tmp(t);
  const path = join(dir, 'partial.bin');
  const w = engine.createWriter(path);
  await w.append([new Uint8Array(1000)]);
  t.true(existsSync(path));
  await w.abort();
  t.false(existsSync(path));
  await t.notThrowsAsync(w.abort());
  // A writer in a missing directory fails to write but aborts quietly.
  const w2 = engine.createWriter(join(dir, 'missing', 'x.bin'));
  t.is(((await t.throwsAsync(w2.append([new Uint8Array(1)]))) as EngineError).code, 'ENOENT');
  await t.notThrowsAsync(w2.abort());
});

eachEngine('refuses to append after finish', async (t, engine) => {
  const path = join(tmp(t), 'done.bin');
  const w = engine.createWriter(path);
  await w.append([new Uint8Array([9])]);
  await w.finish();
  const err = await t.throwsAsync(w.append([new Uint8Array([1])]));
  t.is((err as EngineError).code, 'EIO');
  t.is(readFileSync(path).length, 1);
});

parity('writes byte-identical files with both backends', async (t, nat, ts) => {
  const dir = tmp(t);
  const next = rng(11);
  const segments = Array.from({ length: 300 }, (_, i) => randomBytes(next, (i * 37) % 5000));
  const digests = [];
  for (const [engine, name] of [
    [nat, 'n.bin'],
    [ts, 't.bin'],
  ] as const) {
    const w = engine.createWriter(join(dir, name));
    await w.append(segments.slice(0, 150));
    await w.append(segments.slice(150));
    digests.push(await w.finish());
  }
  t.deepEqual(digests[0], digests[1]);
  t.true(readFileSync(join(dir, 'n.bin')).equals(readFileSync(join(dir, 't.bin'))));
});

// The fault hook counts bytes per process, so each backend runs in a child process of its own.
const exec = promisify(execFile);
const selectUrl = pathToFileURL(join(import.meta.dirname, '../../src/backend/select.ts')).href;

async function injectedEnospc(backendName: 'ts' | 'native', dir: string) {
  const script = join(dir, 'child.mjs');
  writeFileSync(
    script,
    `const { engine } = await import(${JSON.stringify(selectUrl)});
const w = engine().createWriter(${JSON.stringify(join(dir, 'out.bin'))});
const out = {};
try {
  await w.append([new Uint8Array(1000).fill(1), new Uint8Array(1000).fill(2)]);
  out.first = 'ok';
  await w.append([new Uint8Array(1000).fill(3)]);
  out.second = 'ok';
} catch (e) { out.error = { code: e.code, message: e.message }; }
try { await w.finish(); out.finish = 'ok'; } catch (e) { out.finishError = e.code; }
out.sizeBeforeAbort = (await import('node:fs')).statSync(${JSON.stringify(join(dir, 'out.bin'))}).size;
await w.abort();
out.existsAfterAbort = (await import('node:fs')).existsSync(${JSON.stringify(join(dir, 'out.bin'))});
console.log(JSON.stringify(out));
`,
  );
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', script], {
    cwd: join(import.meta.dirname, '../..'),
    env: { ...process.env, PAMIQ_BACKEND: backendName, PAMIQ_FAULT_ENOSPC_AFTER_BYTES: '2500' },
  });
  return JSON.parse(stdout.trim().split('\n').pop()!);
}

for (const backendName of ['ts', 'native'] as const) {
  const title = `fails with an injected ENOSPC once the process wrote more than the limit (${backendName})`;
  if (backendName === 'native' && !native) {
    test.skip(`${title} — skipped: ${nativeSkipReason}`, () => undefined);
    continue;
  }
  test(title, async (t) => {
    const out = await injectedEnospc(backendName, tmp(t));
    t.is(out.first, 'ok');
    t.is(out.second, undefined);
    t.is(out.error.code, 'EIO');
    t.regex(out.error.message, /No space left on device \(injected\)/);
    t.true(out.error.message.includes('out.bin'), out.error.message);
    t.is(out.finishError, 'EIO', 'the writer stays failed');
    t.is(out.sizeBeforeAbort, 2500, 'bytes up to the limit are written');
    t.false(out.existsAfterAbort);
  });
}
