/**
 * One contender of the lock race (lock-race.ts): reads commands as JSON lines on stdin, answers on
 * stdout. `{"go": dir, "at": ms}` waits until the wall clock reaches `at` (so both contenders of a
 * pair start together), tries StatesDirLock.acquire(dir) and answers `{"held": bool, "code"?}`;
 * `{"release": true}` releases what it holds and answers `{"released": true}`.
 */
import { createInterface } from 'node:readline';
import { StatesDirLock } from '../../src/state/lock.js';
import { backend } from '../../src/backend/select.js';

let held: StatesDirLock | undefined;
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
say({ ready: true, backend: backend().name, pid: process.pid });
for await (const line of createInterface({ input: process.stdin })) {
  const cmd = JSON.parse(line) as { go?: string; at?: number; release?: boolean };
  if (cmd.go !== undefined) {
    while (Date.now() < cmd.at!) {
      // spin: both contenders leave this loop within the same millisecond
    }
    try {
      held = StatesDirLock.acquire(cmd.go);
      say({ held: true });
    } catch (err) {
      say({ held: false, code: (err as { code?: string }).code ?? String(err) });
    }
  } else if (cmd.release) {
    held?.release();
    held = undefined;
    say({ released: true });
  }
}
