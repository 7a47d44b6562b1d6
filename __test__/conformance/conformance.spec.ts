/**
 * The conformance data (conformance/README.md) against each backend alone: every vector file on the
 * twin (`typescriptEngine()`) and, in its own tests, on native (`nativeEngine()`, a visible skip when it
 * did not load); then the committed state trees of every format and the buffer files of every version,
 * which must keep loading to the values their expected.json states.
 */
import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { backend, nativeEngine, typescriptEngine } from '../../src/backend/select.js';
import type { BackendName, Engine } from '../../src/backend/types.js';
import { DictSequentialBuffer, SequentialBuffer } from '../../src/data/index.js';
import { StateStore } from '../../src/state/store.js';
import { Counter, EpisodeStats } from '../helpers/components.js';
import { nativeSkipReason } from '../helpers/native-skip.js';
import { CONFORMANCE, readJson, readValue } from './data.js';
import { evaluate, expected, type Vector } from './evaluate.js';

const engines: { label: BackendName; engine: Engine | undefined }[] = [
  { label: 'ts', engine: typescriptEngine() },
  { label: 'native', engine: nativeEngine() },
];

/** Drops what JSON cannot hold the way the vector files were written (undefined members). */
const asJson = (x: unknown): unknown => JSON.parse(JSON.stringify(x));

const kinds = readdirSync(join(CONFORMANCE, 'vectors'))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort();

test('the vector files are there', (t) => {
  t.true(kinds.length >= 11, `found ${kinds.join(', ')}`);
});

for (const kind of kinds) {
  const { vectors } = readJson<{ vectors: Vector[] }>(`vectors/${kind}.json`);
  for (const { label, engine } of engines) {
    const kept = vectors.filter((v) => !v.knownDifference?.[label]);
    const title = `[${kind}] ${kept.length} vectors (${label} alone)`;
    if (!engine) {
      test.skip(`${title} — skipped: ${nativeSkipReason}`, () => undefined);
      continue;
    }
    test(title, async (t) => {
      for (const v of kept) {
        t.deepEqual(asJson(await evaluate(kind, engine, v)), expected(v, label), `${kind} / ${v.name}`);
      }
    });
    for (const v of vectors.filter((x) => x.knownDifference?.[label])) {
      test.failing(`[${kind}] ${v.name} (${label} alone) — known contract difference: ${v.knownDifference![label]}`, async (t) => {
        t.deepEqual(asJson(await evaluate(kind, engine, v)), expected(v, label));
      });
    }
  }
}

// ---------------------------------------------------------------- state trees of every format

interface StateFixture {
  state: string;
  manifest: Record<string, unknown> & {
    formatVersion: number;
    seq?: number;
    files: { path: string; size: number; xxh3: string }[];
  };
  load: {
    counter: { value: number };
    stats: { episodeCount: number; totalReward: number };
    buffers?: Record<string, unknown>;
  };
}

const formats = readdirSync(join(CONFORMANCE, 'states')).sort();

test('a state tree of format 1 and one of format 2 are committed', (t) => {
  t.true(formats.includes('format-1') && formats.includes('format-2'), formats.join(', '));
});

for (const format of formats) {
  const dir = join(CONFORMANCE, 'states', format);
  const fx = readJson<StateFixture>(`states/${format}/expected.json`);
  const statePath = join(dir, fx.state);

  for (const { label, engine } of engines) {
    const title = `[states/${format}] verifies intact, reads and scans (${label} alone)`;
    if (!engine) {
      test.skip(`${title} — skipped: ${nativeSkipReason}`, () => undefined);
      continue;
    }
    test(title, async (t) => {
      const report = await engine.verifyState(statePath);
      t.deepEqual(report.problems, []);
      t.deepEqual(asJson(report.manifest), fx.manifest);
      const read = await engine.readState(statePath);
      t.deepEqual(read.problems, []);
      t.deepEqual(
        [...read.files].map(([path, bytes]) => ({ path, size: bytes.length, xxh3: engine.xxh3(bytes) })),
        fx.manifest.files,
      );
      const scan = await engine.scanStates(dir, '*.state');
      t.deepEqual(scan.leftovers, []);
      t.is(scan.entries.length, 1);
      const entry = scan.entries[0]!;
      t.like(entry, {
        name: fx.state,
        valid: true,
        createdAtNs: fx.manifest.createdAtNs,
        fileCount: fx.manifest.files.length,
      });
      t.is(entry.seq, fx.manifest.seq, 'format 1 has no seq; format 2 carries its own');
    });
  }

  test(`[states/${format}] loads into components with the stated values (${backend().name}, the selected backend)`, async (t) => {
    const counter = new Counter();
    const stats = new EpisodeStats();
    const store = new StateStore({ statesDir: dir });
    store.register('counter', counter);
    store.register('stats', stats);
    const buffers = new Map<string, SequentialBuffer<unknown> | DictSequentialBuffer<unknown>>();
    for (const name of Object.keys(fx.load.buffers ?? {})) {
      const b =
        name === 'data_dict'
          ? new DictSequentialBuffer<unknown>(['obs', 'reward'], 10)
          : new SequentialBuffer<unknown>(10);
      buffers.set(name, b);
      store.register(name, b);
    }
    await store.loadState(statePath);
    t.is(counter.value, fx.load.counter.value);
    t.deepEqual({ episodeCount: stats.episodeCount, totalReward: stats.totalReward }, fx.load.stats);
    for (const [name, b] of buffers) t.deepEqual(b.getData(), readValue(fx.load.buffers![name]), name);
  });
}

// ---------------------------------------------------------------- buffer files of every version

interface BufferFixture {
  files: Record<
    string,
    { file: { size: number; xxh3: string } } & (
      | { kind: 'SequentialBuffer'; items: unknown }
      | { kind: 'DictSequentialBuffer'; keys: string[]; data: unknown }
    )
  >;
}

const versions = readdirSync(join(CONFORMANCE, 'buffer-files')).sort();

test('buffer files of version 1 and version 2 are committed', (t) => {
  t.true(versions.includes('v1') && versions.includes('v2'), versions.join(', '));
});

for (const version of versions) {
  const dir = join(CONFORMANCE, 'buffer-files', version);
  const fx = readJson<BufferFixture>(`buffer-files/${version}/expected.json`);
  for (const [name, want] of Object.entries(fx.files)) {
    test(`[buffer-files/${version}] ${name}.msgpack loads into a ${want.kind} with the stated items (${backend().name}, the selected backend)`, async (t) => {
      const bytes = readFileSync(join(dir, `${name}.msgpack`));
      t.deepEqual(
        { size: bytes.length, xxh3: typescriptEngine().xxh3(bytes) },
        want.file,
        'the file is the one committed',
      );
      if (want.kind === 'SequentialBuffer') {
        const b = new SequentialBuffer<unknown>(100);
        await b.loadState(join(dir, name));
        t.deepEqual(b.getData(), readValue(want.items));
      } else {
        const b = new DictSequentialBuffer<unknown>(want.keys, 100);
        await b.loadState(join(dir, name));
        t.deepEqual(b.getData(), readValue(want.data));
      }
    });
  }
}
