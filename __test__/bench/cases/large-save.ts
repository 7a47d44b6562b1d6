/**
 * Case 1 (and 6): save a SequentialBuffer of `--records` Float32Array(`--width`) items through the full
 * state engine (capture, write, hash, fsync, commit), `--reps` times; report the times per phase and
 * the peak RSS while saving.
 *
 *   PAMIQ_BACKEND=native|ts node --import tsx __test__/bench/cases/large-save.ts --json \
 *     --dir DIR --records 100000 --width 1024 --reps 1 [--keep] [--diagnose]
 *
 * With --keep the last state stays in DIR (for the load case); otherwise every state is removed.
 * With --diagnose, also times the codec's encoding of the buffer file alone and the engine's writer
 * alone on the encoded segments (after the peak RSS was taken).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { backend, engine } from '../../../src/backend/select.js';
import { encodeBufferFile } from '../../../src/codec/buffer-format.js';
import { childArgs, gc, now, num, PhaseClock, Recorder, RssPeak, str, treeSize } from '../lib/common.js';
import { filledBuffer, storeFor, tensorItem } from '../lib/data.js';

const args = childArgs(['dir', 'records', 'width', 'reps'], ['keep', 'diagnose']);
const dir = str(args, 'dir');
const records = num(args, 'records');
const width = num(args, 'width', 1024);
const reps = num(args, 'reps', 1);
const rec = new Recorder();

const t = now();
const { buffer, users } = filledBuffer(records, (i) => tensorItem(i, width));
rec.fact('generateMs', now() - t);
const store = storeFor(dir, users);
const phases = new PhaseClock();

gc();
rec.fact('baselineRss', process.memoryUsage.rss());
const peak = new RssPeak();

for (let r = 0; r < reps; r++) {
  phases.reset();
  const t0 = now();
  const pending = await store.capture();
  const t1 = now();
  const path = await pending.commit();
  const t2 = now();
  const size = treeSize(path);
  rec.add('captureMs', t1 - t0);
  rec.add('commitMs', t2 - t1);
  rec.add('totalMs', t2 - t0);
  rec.add('writeMs', phases.span('write:start', 'commit:start'));
  rec.add('finalizeMs', phases.span('commit:start', 'commit:end'));
  rec.add('stateBytes', size.bytes);
  rec.add('throughputMBs', size.bytes / 1e6 / ((t2 - t0) / 1000));
  if (r === reps - 1 && args.keep) rec.fact('statePath', path);
  else rmSync(path, { recursive: true, force: true });
}

const { peak: peakRss, source } = peak.stop();
rec.fact('peakRss', peakRss);
rec.fact('peakSource', source);

// Diagnostics (after the peak was taken): the two halves of the write phase on their own — the shared
// codec's encoding of the buffer file (main thread), and the engine's writer (write + hash + fsync)
// given the encoded segments.
if (args.diagnose) {
  for (let r = 0; r < reps; r++) {
    gc();
    const items = buffer.getData();
    const t0 = now();
    const segments = encodeBufferFile({ kind: 'SequentialBuffer', config: { maxSize: records }, columns: ['items'] }, [
      items,
    ]);
    const t1 = now();
    const file = join(dir, `writer-only-${r}.bin`);
    const writer = engine().createWriter(file);
    await writer.append(segments);
    const digest = await writer.finish();
    const t2 = now();
    rmSync(file, { force: true });
    rec.add('encodeOnlyMs', t1 - t0);
    rec.add('writerOnlyMs', t2 - t1);
    rec.add('writerOnlyMBs', digest.size / 1e6 / ((t2 - t1) / 1000));
    rec.add('segments', segments.length);
  }
}
phases.close();
rec.emit(backend().name);
