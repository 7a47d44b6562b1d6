/**
 * Full disk, injected with PAMIQ_FAULT_ENOSPC_AFTER_BYTES (both backends' writers read it when created).
 */
import test from 'ava';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { engine, nativeEngine, typescriptEngine } from '../../src/backend/select.js';
import { EngineError, type Engine } from '../../src/backend/types.js';
import { startChild } from './crash.js';
import { nativeSkipReason } from '../helpers/native-skip.js';
import { tmpDir } from '../helpers/tmp.js';

const FAULT = 'PAMIQ_FAULT_ENOSPC_AFTER_BYTES';

const engines: [string, Engine | undefined][] = [
  ['native', nativeEngine()],
  ['ts', typescriptEngine()],
];

for (const [name, eng] of engines) {
  const title = `the ${name} writer fails like a full disk once the process wrote more than the injected limit`;
  if (!eng) {
    test.skip(`${title} — skipped: ${nativeSkipReason}`, () => undefined);
    continue;
  }
  test.serial(title, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'pamiq-enospc-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    process.env[FAULT] = '0';
    try {
      const writer = eng.createWriter(join(dir, 'full.bin'));
      const err = await t.throwsAsync(writer.append([new Uint8Array(4096)]));
      t.true(err instanceof EngineError, String(err));
      t.is((err as EngineError).code, 'EIO');
      t.regex(err!.message, /No space left on device \(injected\)/);
      t.true(err!.message.includes('full.bin'), err!.message);
      await writer.abort();
      t.false(existsSync(join(dir, 'full.bin')));
    } finally {
      delete process.env[FAULT];
    }
    // Space returned: a writer created now works.
    const writer = eng.createWriter(join(dir, 'ok.bin'));
    await writer.append([new Uint8Array(4096)]);
    t.is((await writer.finish()).size, 4096);
  });
}

test.serial(
  'a save on a full disk fails with the cause, leaves nothing behind, and the next save succeeds once space returns',
  async (t) => {
    const dir = tmpDir(t, 'pamiq-enospc-');
    const child = startChild({ statesDir: dir, scenario: 'enospc' });
    const done = (await child.waitFor('done', 60_000)).data as {
      saved: string[];
      final: string;
      failed: { name: string; code: string; message: string; causes: string[] }[];
    };
    t.is((await child.exited).code, 0, child.stderr());
    const step = (name: string) => child.lines.find((l) => l.kind === 'step' && l.data.name === name)?.data;

    const first = step('first save');
    t.is(first.commits.length, 1);
    const full = step('save on a full disk');
    t.false(full.committed);
    t.regex(
      JSON.stringify(full.refused),
      /No space left on device \(injected\)/,
      'the request is told why its save failed',
    );
    t.deepEqual(full.leftovers, [], 'the temporary directory of the failed save is removed');
    t.deepEqual(
      full.states.map((s: string) => join(dir, s)),
      first.commits,
      'no other state appeared or went',
    );
    const running = step('kept running');
    t.true(running.to > running.from, 'the loops kept running');
    const back = step('space returned');
    t.true(back.committed);
    t.deepEqual(back.leftovers, []);

    t.is(done.failed.length, 1, JSON.stringify(done.failed));
    const failure = done.failed[0]!;
    t.is(failure.code, 'ESAVE');
    t.regex(failure.message, /No space left on device \(injected\)/);
    t.regex(failure.message, /Writing '[^']+' of state/, 'names the file being written');
    t.true(
      failure.causes.some((c) => c.startsWith('EIO:')),
      JSON.stringify(failure.causes),
    );

    // The earlier state is untouched and every state verifies.
    t.true(done.saved.includes(first.commits[0]));
    for (const path of done.saved) t.deepEqual((await engine().verifyState(path)).problems, [], path);
    t.deepEqual(
      readdirSync(dir).filter((n) => n.startsWith('.pamiq-')),
      [],
    );
  },
);
