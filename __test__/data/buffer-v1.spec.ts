import test from 'ava';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DictSequentialBuffer, SequentialBuffer } from '../../src/data/index.js';
import { backend } from '../../src/backend/select.js';
import * as expected from '../fixtures/buffer-v1/expected.js';

const dir = fileURLToPath(new URL('../fixtures/buffer-v1/', import.meta.url));
const name = backend().name;

async function loadSequential(file: string): Promise<unknown[]> {
  const b = new SequentialBuffer<unknown>(100);
  await b.loadState(join(dir, file));
  return b.getData();
}

for (const [file, want] of [
  ['records', expected.records()],
  ['numbers', expected.numbers()],
  ['rows', expected.rows()],
  ['tensors', expected.tensors()],
  ['mixed', expected.mixed()],
] as const) {
  test(`[${name}] a format-1 buffer file of ${file} still loads with the same values`, async (t) => {
    t.deepEqual(await loadSequential(file), want as unknown[]);
  });
}

test(`[${name}] a format-1 DictSequentialBuffer file still loads`, async (t) => {
  const b = new DictSequentialBuffer<unknown>(['obs', 'reward'], 10);
  await b.loadState(join(dir, 'dict'));
  t.deepEqual(b.getData(), expected.dict());
});
