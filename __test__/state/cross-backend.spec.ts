import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeEngine } from '../../src/backend/select.js';
import { nativeSkipReason } from '../helpers/native-skip.js';
import { tmpDir } from '../helpers/tmp.js';

const script = fileURLToPath(new URL('../fixtures/system-state.ts', import.meta.url));

function child(backendName: 'native' | 'ts', ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import=tsx', script, ...args], {
    encoding: 'utf8',
    env: { ...process.env, PAMIQ_BACKEND: backendName, PAMIQ_LOG_LEVEL: 'warn' },
  });
  if (r.status !== 0) throw new Error(`child ${backendName} ${args.join(' ')} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function files(root: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name !== 'manifest.json') out.set(relative(root, p), readFileSync(p));
    }
  };
  walk(root);
  return out;
}

const native = nativeEngine();
const reason = nativeSkipReason;

for (const [writer, reader] of [
  ['native', 'ts'],
  ['ts', 'native'],
] as const) {
  const title = `a state written by the ${writer} backend loads with the ${reader} backend`;
  if (!native) {
    test.skip(`${title} — skipped: ${reason}`, () => undefined);
    continue;
  }
  test(title, (t) => {
    const dir = tmpDir(t);
    const saved = child(writer, 'save', dir);
    const loaded = child(reader, 'load', saved.path);
    t.is(saved.digest.backend, writer);
    t.is(loaded.digest.backend, reader);
    t.deepEqual({ ...loaded.digest, backend: writer }, saved.digest);
  });
}

const bytesTitle = 'both backends write byte-identical state files for the same system';
if (!native) {
  test.skip(`${bytesTitle} — skipped: ${reason}`, () => undefined);
} else {
  test(bytesTitle, (t) => {
    const a = files(child('native', 'save', tmpDir(t)).path);
    const b = files(child('ts', 'save', tmpDir(t)).path);
    t.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
    for (const [path, bytes] of a) t.true(bytes.equals(b.get(path)!), `${path} differs`);
  });
}
