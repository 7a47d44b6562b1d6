import test from 'ava';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const select = new URL('../../src/backend/select.ts', import.meta.url).href;
const root = fileURLToPath(new URL('../..', import.meta.url));

function probe(env: Record<string, string>) {
  const r = spawnSync(
    process.execPath,
    [
      '--import=tsx',
      '-e',
      `const m = await import(${JSON.stringify(select)}); console.log(JSON.stringify(m.backend()))`,
    ],
    { cwd: root, encoding: 'utf8', env: { ...process.env, PAMIQ_BACKEND: '', ...env } },
  );
  return { status: r.status, info: r.status === 0 ? JSON.parse(r.stdout.trim()) : undefined, stderr: r.stderr };
}

test('PAMIQ_BACKEND=ts forces the TypeScript twin', (t) => {
  const { info } = probe({ PAMIQ_BACKEND: 'ts' });
  t.is(info.name, 'ts');
  t.true(info.forced);
  t.regex(info.nativeUnavailable, /PAMIQ_BACKEND=ts/);
});

test('an unknown PAMIQ_BACKEND is refused with the accepted values', (t) => {
  const { status, stderr } = probe({ PAMIQ_BACKEND: 'gpu' });
  t.not(status, 0);
  t.regex(stderr, /PAMIQ_BACKEND must be "native" or "ts" \(or unset\), got "gpu"/);
});

test('without a loadable binary the twin is used and the reason names what was looked for', (t) => {
  // The generated loader loads exactly this file when the variable is set; a missing file stands for "no binary".
  const { info } = probe({ NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/pamiq-core.node' });
  t.is(info.name, 'ts');
  t.false(info.forced);
  t.regex(info.nativeUnavailable, /nonexistent\/pamiq-core\.node/);
});

test('PAMIQ_BACKEND=native fails loudly, with the loader’s causes, when no binary loads', (t) => {
  const { status, stderr } = probe({
    PAMIQ_BACKEND: 'native',
    NAPI_RS_NATIVE_LIBRARY_PATH: '/nonexistent/pamiq-core.node',
  });
  t.not(status, 0);
  t.regex(stderr, /PAMIQ_BACKEND=native, but the native backend could not be loaded: .*nonexistent/);
});
