/**
 * Child of hostile-states.spec.ts, run under `ulimit -n 40`: commits a state of 300 files the engine
 * hashes itself, then reads and verifies it. Prints `ok 300 files` on success.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { engine } from '../../src/backend/select.js';

const statesDir = process.argv[2]!;
const tmp = join(statesDir, '.pamiq-tmp-fd');
for (let d = 0; d < 10; d++) {
  mkdirSync(join(tmp, `d${d}`), { recursive: true });
  for (let f = 0; f < 30; f++) writeFileSync(join(tmp, `d${d}`, `f${f}.bin`), `file ${d}/${f}`);
}
const r = await engine().commitState({
  tmpDir: tmp,
  statesDir,
  name: 'fd.state',
  known: {},
  library: { name: 'pamiq-core', version: '0.1.0' },
  createdAtNs: '1',
  components: [],
});
const read = await engine().readState(r.path);
const verify = await engine().verifyState(r.path);
if (read.problems.length || verify.problems.length || read.files.size !== 300) {
  console.error(JSON.stringify({ read: read.problems, verify: verify.problems, files: read.files.size }));
  process.exit(1);
}
console.log(`ok ${read.files.size} files`);
