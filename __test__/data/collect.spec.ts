import test from 'ava';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  DataCollector,
  DataCollectorsDict,
  DataUser,
  DataUsersDict,
  KeyError,
  SequentialBuffer,
} from '../../src/data/index.js';
import { captureLogs } from '../../src/log.js';
import { TimeController, setGlobalTimeController } from '../../src/time/index.js';
import { readMsgpack } from '../../src/persistence/component-files.js';
import { tmpDir } from '../helpers/tmp.js';

/** Installs a paused global clock for the test; `at(t)` moves it to pamiq time t. */
function frozenClock(t: { teardown(fn: () => void): void }) {
  const clock = new TimeController();
  clock.pause();
  const previous = setGlobalTimeController(clock);
  t.teardown(() => setGlobalTimeController(previous));
  return {
    clock,
    at(time: number) {
      clock.loadStateDict({ time, perfCounter: time, monotonic: time });
    },
  };
}

test.serial('a collector stamps items with pamiq time', (t) => {
  const { at } = frozenClock(t);
  const c = new DataCollector<string>(10);
  at(100);
  c.collect('a');
  at(101);
  c.collect('b');
  t.deepEqual(c.drain(), { items: ['a', 'b'], timestamps: [100, 101] });
  t.is(c.length, 0);
});

test.serial('a full collector drops the oldest, counts the drops and warns once', (t) => {
  const logs = captureLogs();
  const c = new DataCollector<number>(2, 'obs');
  for (let i = 0; i < 5; i++) c.collect(i);
  logs.stop();
  t.deepEqual(c.drain().items, [3, 4]);
  t.is(c.droppedCount, 3);
  const warnings = logs.lines.filter((l) => l.includes("Data collector 'obs' is full"));
  t.is(warnings.length, 1);
});

test('a large collector queue stays correct while dropping many items', (t) => {
  const c = new DataCollector<number>(3000);
  for (let i = 0; i < 10_000; i++) c.collect(i);
  const { items } = c.drain();
  t.is(items.length, 3000);
  t.is(items[0], 7000);
  t.is(items.at(-1), 9999);
  t.is(c.droppedCount, 7000);
});

test('nothing reaches the buffer until update', (t) => {
  const user = new DataUser(new SequentialBuffer<number>(10));
  user.collector.collect(1);
  user.collector.collect(2);
  t.is(user.length, 0);
  user.update();
  t.is(user.length, 2);
  t.deepEqual(user.buffer.getData(), [1, 2]);
});

test('getData updates implicitly', (t) => {
  const user = new DataUser(new SequentialBuffer<number>(10));
  user.collector.collect(7);
  t.deepEqual(user.getData(), [7]);
});

test.serial('countDataAddedSince counts timestamps strictly after the given time', (t) => {
  const { at } = frozenClock(t);
  const user = new DataUser(new SequentialBuffer<number>(10));
  for (const ts of [100, 101, 102, 103]) {
    at(ts);
    user.collector.collect(ts);
  }
  user.update();
  t.is(user.countDataAddedSince(99), 4);
  t.is(user.countDataAddedSince(100.5), 3);
  t.is(user.countDataAddedSince(102.5), 1);
  t.is(user.countDataAddedSince(104), 0);
});

test('the buffer cap is respected', (t) => {
  const user = new DataUser(new SequentialBuffer<number>(3));
  for (let i = 0; i < 5; i++) user.collector.collect(i);
  user.update();
  t.deepEqual(user.getData(), [2, 3, 4]);
  t.is(user.countDataAddedSince(-Infinity), 3);
});

test('a data users dict built from a mapping, kwargs-like object or both registers each collector', (t) => {
  const a = new SequentialBuffer(1);
  const b = new SequentialBuffer(1);
  const fromObject = DataUsersDict.fromDataBuffers({ a, b });
  const fromMap = DataUsersDict.fromDataBuffers(
    new Map([
      ['a', a],
      ['b', b],
    ]),
  );
  for (const users of [fromObject, fromMap]) {
    t.deepEqual([...users.keys()], ['a', 'b']);
    for (const [name, user] of users) t.true(users.dataCollectorsDict.get(name) === user.collector);
  }
  t.is(fromObject.get('a')!.buffer, a);
});

test('a collector is acquired once; a second acquire or an unknown name throws KeyError', (t) => {
  const collectors = new DataCollectorsDict([['obs', new DataCollector(1)]]);
  t.true(collectors.acquire('obs') === collectors.get('obs'));
  t.throws(() => collectors.acquire('obs'), {
    instanceOf: KeyError,
    message: "Data collector 'obs' is already acquired.",
  });
  t.throws(() => collectors.acquire('nope'), { instanceOf: KeyError, message: "Data collector 'nope' not found." });
});

test.serial('a data user saves buffer, timestamps and pending items without moving them', async (t) => {
  const { at } = frozenClock(t);
  const dir = tmpDir(t);
  const user = new DataUser(new SequentialBuffer<string>(10));
  at(1);
  user.collector.collect('stored');
  user.update();
  at(2);
  user.collector.collect('pending');
  await user.saveState(join(dir, 'obs'));

  t.deepEqual(readdirSync(join(dir, 'obs')).sort(), ['buffer.msgpack', 'pending.msgpack', 'timestamps.msgpack']);
  t.is(user.length, 1, 'saving does not drain the collector');
  t.is(user.collector.length, 1);
  const stamps = await readMsgpack<Float64Array>(join(dir, 'obs', 'timestamps.msgpack'));
  t.deepEqual(Array.from(stamps), [1]);

  const loaded = new DataUser(new SequentialBuffer<string>(10));
  await loaded.loadState(join(dir, 'obs'));
  t.is(loaded.length, 1);
  t.is(loaded.collector.length, 1);
  t.deepEqual(loaded.getData(), ['stored', 'pending']);
  t.is(loaded.countDataAddedSince(1.5), 1);
  t.is(loaded.countDataAddedSince(0), 2);
});

test('a data users dict saves each user under its name', async (t) => {
  const dir = tmpDir(t);
  const users = DataUsersDict.fromDataBuffers({ a: new SequentialBuffer(2), b: new SequentialBuffer(2) });
  users.get('a')!.collector.collect(1);
  await users.saveState(join(dir, 'data'));
  t.true(existsSync(join(dir, 'data', 'a', 'buffer.msgpack')));
  t.true(existsSync(join(dir, 'data', 'b', 'timestamps.msgpack')));
  const loaded = DataUsersDict.fromDataBuffers({ a: new SequentialBuffer(2), b: new SequentialBuffer(2) });
  await loaded.loadState(join(dir, 'data'));
  t.deepEqual(loaded.get('a')!.getData(), [1]);
  t.deepEqual(loaded.get('b')!.getData(), []);
});

test('a data users dict save works when the directory already exists', async (t) => {
  const dir = tmpDir(t);
  const users = DataUsersDict.fromDataBuffers({ a: new SequentialBuffer(2) });
  await users.saveState(dir);
  t.true(existsSync(join(dir, 'a', 'buffer.msgpack')));
});
