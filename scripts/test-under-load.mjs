#!/usr/bin/env node
// `npm run test:loaded`: `npm test` while CPU hogs run (two busy-looping Node processes by default), the
// gate for specs that must not depend on an idle machine. `--hogs N` sets how many; other arguments go
// to `npm test`. The hogs are killed when the tests end, whatever their outcome; the exit code is the tests'.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let hogs = 2;
const i = args.indexOf('--hogs');
if (i >= 0) {
  hogs = Number(args[i + 1]);
  if (!Number.isInteger(hogs) || hogs < 0) {
    console.error(`--hogs expects a whole number of hog processes, got ${JSON.stringify(args[i + 1])}`);
    process.exit(2);
  }
  args.splice(i, 2);
}
const children = Array.from({ length: hogs }, () => spawn(process.execPath, ['-e', 'for(;;);'], { stdio: 'ignore' }));
const stop = () => {
  for (const c of children) c.kill('SIGKILL');
};
process.on('exit', stop);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
console.log(`test:loaded: ${hogs} CPU hog(s) running (pids ${children.map((c) => c.pid).join(', ')})`);
const started = Date.now();
const test = spawn(process.execPath, [join(root, 'scripts', 'test.mjs'), ...args], { cwd: root, stdio: 'inherit' });
test.on('close', (code) => {
  console.log(
    `test:loaded: npm test exited ${code} after ${((Date.now() - started) / 60000).toFixed(1)} min with ${hogs} hog(s)`,
  );
  stop();
  process.exit(code ?? 1);
});
