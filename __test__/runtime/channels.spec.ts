/**
 * The two data channels of the runtime on their own: record batches (columns when the items allow,
 * copies otherwise) and the parameter triple buffer's checks.
 */
import test from 'ava';
import { packBatch, unpackBatch } from '../../src/runtime/records.js';
import { encodeRecords } from '../../src/codec/records.js';
import { allocateParameters, layoutOf, ParameterReader, ParameterWriter } from '../../src/runtime/params.js';

test('records of numbers and equal typed arrays travel as transferable columns and come back alike', (t) => {
  const items = [
    { obs: Float32Array.of(1, 2), reward: -0, done: 1 },
    { obs: Float32Array.of(3, 4), reward: Number.NaN, done: 0 },
  ];
  const { batch, transfer } = packBatch(items, [1.5, 2.5]);
  t.is(batch.form, 'records');
  t.is(transfer.length, 4, 'timestamps and three columns');
  const back = unpackBatch(structuredClone(batch)) as typeof items;
  t.deepEqual(back, items);
  t.true(Object.is(back[0]!.reward, -0));
  t.true(back[1]!.obs instanceof Float32Array);
});

test('a batch travels in the record-batch form of the buffer files: the same keys, kinds, widths and columns', (t) => {
  const items = Array.from({ length: 5 }, (_, i) => ({
    step: i,
    reward: i / 4,
    done: i === 4,
    obs: Uint8Array.of(i, i + 1, i + 2),
  }));
  const { batch, transfer } = packBatch(
    items,
    items.map((_, i) => i),
  );
  if (batch.form !== 'records') return t.fail('expected the records form');
  const saved = encodeRecords(items)!;
  t.deepEqual([batch.batch.keys, batch.batch.kinds, batch.batch.widths], [saved.keys, saved.kinds, saved.widths]);
  t.deepEqual(batch.batch.kinds, ['number', 'number', 'boolean', 'tensor']);
  t.true(batch.batch.columns[0] instanceof Uint8Array, 'small integers narrowed as in the file');
  t.deepEqual(batch.batch.columns[3], Uint8Array.from(items.flatMap((x) => [...x.obs])), 'tensor items back to back');
  t.is(transfer.length, 5);
  const back = unpackBatch(structuredClone(batch, { transfer })) as typeof items;
  t.deepEqual(back, items);
  items[0]!.obs[0] = 99; // the agent may reuse its arrays after the send
  t.is(back[0]!.obs[0], 0);
});

test('anything else travels as the items: Buffers, mixed shapes, shared memory', (t) => {
  const shared = new Float32Array(new SharedArrayBuffer(8));
  for (const items of [[{ b: Buffer.from('ab') }], [{ a: 1 }, { a: 1, b: 2 }], [{ s: shared }], [{ a: 'x' }]]) {
    t.is(
      packBatch(
        items,
        items.map(() => 0),
      ).batch.form,
      'items',
      JSON.stringify(items),
    );
  }
});

test('parameter layouts refuse what is not a typed array, and a publish that changed shape', (t) => {
  t.throws(() => layoutOf('m', { w: [1, 2] as never }), {
    instanceOf: TypeError,
    message: /Model 'm': parameter 'w' must be a typed array \(Int8Array, .*Float32Array.*\), got Array/,
  });
  const params = { w: new Float32Array(3), b: new Int32Array(1) };
  const layout = layoutOf('m', params);
  const sab = allocateParameters(layout);
  const writer = new ParameterWriter('m', sab, layout);
  const reader = new ParameterReader(sab, layout);
  t.is(reader.takeFresh(), undefined, 'nothing published yet');
  params.w.set([1, 2, 3]);
  writer.publish(params);
  t.deepEqual([...reader.takeFresh()!.w!], [1, 2, 3]);
  t.is(reader.takeFresh(), undefined, 'read once');
  t.throws(() => writer.publish({ w: new Float64Array(3), b: new Int32Array(1) }), {
    instanceOf: TypeError,
    message: "Model 'm': exportParameters() changed shape: 'w' was Float32Array(3), now Float64Array(3)",
  });
});
