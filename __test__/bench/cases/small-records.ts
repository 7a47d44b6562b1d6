/**
 * Case 3: a SequentialBuffer of `--records` records of four numbers, saved (capture + commit) and
 * loaded back into a fresh buffer, `--reps` times; reports the times and the bytes on disk.
 *
 *   PAMIQ_BACKEND=native|ts node --import tsx __test__/bench/cases/small-records.ts --json \
 *     --dir DIR --records 1000000 [--reps 1]
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { backend, engine } from '../../../src/backend/select.js';
import { childArgs, gc, now, num, PhaseClock, Recorder, str, treeSize } from '../lib/common.js';
import { emptyBuffer, filledBuffer, recordItem, storeFor } from '../lib/data.js';

const args = childArgs(['dir', 'records', 'reps']);
const dir = str(args, 'dir');
const records = num(args, 'records');
const reps = num(args, 'reps', 1);
const rec = new Recorder();

const t = now();
const { users } = filledBuffer(records, recordItem);
rec.fact('generateMs', now() - t);
const store = storeFor(dir, users);
const phases = new PhaseClock();

for (let r = 0; r < reps; r++) {
  gc();
  phases.reset();
  const t0 = now();
  const pending = await store.capture();
  const t1 = now();
  const path = await pending.commit();
  const t2 = now();
  rec.add('captureMs', t1 - t0);
  rec.add('writeMs', phases.span('write:start', 'commit:start'));
  rec.add('finalizeMs', phases.span('commit:start', 'commit:end'));
  rec.add('saveMs', t2 - t0);
  const size = treeSize(path);
  rec.fact('stateBytes', size.bytes);
  rec.fact('allocatedBytes', size.allocated);
  rec.fact('bufferFileBytes', treeSize(join(path, 'data', 'buf')).bytes);

  gc();
  const fresh = emptyBuffer<number[]>(records);
  const loader = storeFor(dir, fresh.users);
  const t3 = now();
  await loader.loadState(path);
  const t4 = now();
  rec.add('loadMs', t4 - t3);
  rec.add('totalMs', t2 - t0 + (t4 - t3));
  const data = fresh.buffer.getData();
  rec.add('firstUseMs', now() - t4);
  const last = data[records - 1];
  const want = recordItem(records - 1);
  if (fresh.buffer.length !== records || !last || last.some((v, i) => v !== want[i])) {
    throw new Error('the loaded records differ from the saved ones');
  }
  rmSync(path, { recursive: true, force: true });
}
phases.close();

// The engine's share alone (called directly): encodeNumbers of the 4·N values, scanList of the list.
const values = new Float64Array(records * 4);
for (let i = 0, k = 0; i < records; i++) for (const v of recordItem(i)) values[k++] = v;
for (let r = 0; r < reps; r++) {
  gc();
  const t0 = now();
  const items = engine().encodeNumbers(values, 4);
  const t1 = now();
  const list = new Uint8Array(5 + items.length);
  list[0] = 0xdd;
  new DataView(list.buffer).setUint32(1, records);
  list.set(items, 5);
  const t2 = now();
  const scan = engine().scanList(list, 0);
  const t3 = now();
  if (scan.kind !== 'numbers' || scan.count !== records || scan.end !== list.length)
    throw new Error('scanList disagrees');
  rec.add('engineEncodeMs', t1 - t0);
  rec.add('engineScanMs', t3 - t2);
  rec.add('engineMs', t1 - t0 + (t3 - t2));
}
rec.emit(backend().name);
