import test from 'ava';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { currentPlatform, nativeInstallAdvice, platformSuffix, publishedSuffixes } from '../../src/backend/advice.js';
import { describeLoadError } from '../../src/backend/select.js';
import { tmpDir } from '../helpers/tmp.js';

test('platform suffixes follow napi-rs: libc on Linux, msvc on Windows, none on macOS', (t) => {
  t.is(platformSuffix({ platform: 'linux', arch: 'x64', libc: 'gnu' }), 'linux-x64-gnu');
  t.is(platformSuffix({ platform: 'linux', arch: 'arm64', libc: 'musl' }), 'linux-arm64-musl');
  t.is(platformSuffix({ platform: 'darwin', arch: 'x64' }), 'darwin-x64');
  t.is(platformSuffix({ platform: 'win32', arch: 'x64' }), 'win32-x64-msvc');
});

test('the published platform packages are read from package.json napi.targets', (t) => {
  const published = publishedSuffixes();
  for (const s of [
    'linux-x64-gnu',
    'linux-arm64-gnu',
    'linux-x64-musl',
    'linux-arm64-musl',
    'darwin-x64',
    'darwin-arm64',
    'win32-x64-msvc',
  ]) {
    t.true(published.includes(s), s);
  }
});

test('the advice names the platform package when one is published, and always how to build from a checkout', (t) => {
  const published = nativeInstallAdvice({ platform: 'linux', arch: 'arm64', libc: 'musl' });
  t.regex(published, /npm install pamiq-core-linux-arm64-musl/);
  t.regex(published, /checkout of pamiq-core/);
  const unpublished = nativeInstallAdvice({ platform: 'freebsd', arch: 'x64' });
  t.regex(unpublished, /no prebuilt binary is published for freebsd-x64/);
  t.notRegex(unpublished, /npm install pamiq-core-/);
  t.regex(unpublished, /checkout of pamiq-core/);
});

test('the generated loader with no binary anywhere gives a message naming this platform’s package', async (t) => {
  // A copy of the loader in a directory with neither a .node file nor node_modules: what a consumer
  // sees when the platform package was not installed.
  const dir = tmpDir(t);
  copyFileSync(new URL('../../index.js', import.meta.url), join(dir, 'index.js'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
  const err = await import(pathToFileURL(join(dir, 'index.js')).href).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.truthy(err, 'the loader throws without a binary');
  const message = describeLoadError(err);
  t.regex(message, new RegExp(`no native binary for ${process.platform}-${process.arch}`));
  t.regex(message, /TypeScript twin is used/);
  t.true(message.includes(`pamiq-core-${platformSuffix(currentPlatform())}`), message);
  t.notRegex(message, /^[^(]*build one with `npm run build`/);
});
