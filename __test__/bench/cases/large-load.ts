/**
 * Case 2: load and verify a saved state (StateStore.loadState: manifest, sizes, XXH3, decode) into a
 * fresh buffer, `--reps` times; the page cache is dropped before each load when permitted.
 *
 *   PAMIQ_BACKEND=native|ts node --import tsx __test__/bench/cases/large-load.ts --json \
 *     --state PATH --records N [--width W] [--reps 1] [--cold]
 */
import { dirname } from 'node:path';
import { backend } from '../../../src/backend/select.js';
import { childArgs, dropCaches, gc, now, num, Recorder, RssPeak, str, treeSize } from '../lib/common.js';
import { emptyBuffer, storeFor } from '../lib/data.js';

const args = childArgs(['state', 'records', 'width', 'reps'], ['cold']);
const state = str(args, 'state');
const records = num(args, 'records');
const width = num(args, 'width', 0);
const reps = num(args, 'reps', 1);
const rec = new Recorder();
const bytes = treeSize(state).bytes;
rec.fact('stateBytes', bytes);

let cold = Boolean(args.cold);
for (let r = 0; r < reps; r++) {
  gc();
  const { buffer, users } = emptyBuffer<unknown>(records);
  const store = storeFor(dirname(state), users);
  if (cold && !dropCaches()) cold = false;
  const peak = new RssPeak();
  const t0 = now();
  await store.loadState(state);
  const ms = now() - t0;
  const { peak: peakRss } = peak.stop();
  rec.add('loadMs', ms);
  rec.add('throughputMBs', bytes / 1e6 / (ms / 1000));
  rec.add('peakRss', peakRss);
  // Check what was loaded (untimed): count, and the shape of the first and last items.
  if (buffer.length !== records) throw new Error(`loaded ${buffer.length} items, expected ${records}`);
  const items = buffer.getData();
  for (const item of [items[0], items[records - 1]]) {
    if (width > 0 && !(item instanceof Float32Array && item.length === width)) {
      throw new Error(`loaded item is not a Float32Array(${width})`);
    }
    if (width === 0 && !(Array.isArray(item) && item.length === 4))
      throw new Error('loaded item is not a 4-number record');
  }
}
rec.fact('cache', cold ? 'cold' : 'warm');
rec.emit(backend().name);
