import test from 'ava';
import { decodeBufferFile, encodeBufferFile, encodeBufferFileBatches } from '../../src/codec/buffer-format.js';
import { BATCH_BYTES, BATCH_SEGMENTS } from '../../src/codec/segments.js';

const concat = (parts: ArrayBufferView[]) =>
  Buffer.concat(parts.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
const meta = { kind: 'SequentialBuffer', config: { maxSize: 1 }, columns: ['items'] };

for (const [name, items] of [
  ['4 KiB typed arrays', Array.from({ length: 6000 }, (_, i) => new Float32Array(1024).fill(i))],
  ['number rows', Array.from({ length: 200_000 }, (_, i) => [i, -i, i / 7, 1e300])],
  ['mixed values', Array.from({ length: 80_000 }, (_, i) => ({ i, s: 'x'.repeat(300) }))],
] as const) {
  test(`a large buffer file of ${name} is encoded in bounded batches with the same bytes as at once`, (t) => {
    const batches = [...encodeBufferFileBatches(meta, [items as readonly unknown[]])];
    t.true(batches.length > 2, `${batches.length} batches`);
    for (const batch of batches) {
      const bytes = batch.reduce((s, seg) => s + seg.byteLength, 0);
      // A batch closes once it reaches the limit, so it exceeds it by at most one item or one number chunk.
      t.true(bytes <= BATCH_BYTES + 4 * 1024 * 1024, `batch of ${bytes} bytes`);
      t.true(batch.length <= BATCH_SEGMENTS + 2, `batch of ${batch.length} segments`);
    }
    const whole = concat(encodeBufferFile(meta, [items as readonly unknown[]]));
    t.true(concat(batches.flat()).equals(whole));
    t.is(decodeBufferFile(whole).columns[0]!.length, items.length);
  });
}
