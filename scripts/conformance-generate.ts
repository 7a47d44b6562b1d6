/**
 * Writes the conformance data (conformance/README.md) that does not exist yet:
 *
 *   node --import tsx scripts/conformance-generate.ts
 *
 * Vector files: the inputs are defined here; the expected outcomes are those of the TypeScript twin,
 * and when the native backend loads, native must produce the same ones (else nothing is written).
 * Fixture trees (states/format-2, buffer-files/v2) are written by the library's own save path.
 *
 * It never overwrites: an existing vector file is compared with what would be written (a difference
 * is reported and makes the exit code 1), an existing fixture directory is left as it is. Fixtures are
 * frozen once committed; a format change adds a new fixture next to the old ones.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { encode } from '@msgpack/msgpack';
import { nativeEngine, typescriptEngine } from '../src/backend/select.js';
import { encodeList } from '../src/codec/list.js';
import { extensionCodec } from '../src/codec/values.js';
import { sealManifest } from '../__test__/helpers/seal.js';
import { CONFORMANCE, hex, noteNumber, noteValue, type TreeNote } from '../__test__/conformance/data.js';
import { evaluate, type Vector } from '../__test__/conformance/evaluate.js';

const twin = typescriptEngine();
const native = nativeEngine();
let failed = false;

function say(line: string) {
  console.log(line);
}

// ---------------------------------------------------------------- inputs

const EDGE_NUMBERS: number[] = [
  0,
  -0,
  1,
  31,
  127,
  128,
  255,
  256,
  65535,
  65536,
  2 ** 32 - 1,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 64,
  1e300,
  -1,
  -31,
  -32,
  -33,
  -127,
  -128,
  -129,
  -32767,
  -32768,
  -32769,
  -(2 ** 31),
  -(2 ** 31) - 1,
  -(2 ** 53) + 1,
  -(2 ** 53),
  -12345678901234,
  0.5,
  -0.5,
  1.5,
  Math.PI,
  Number.MIN_VALUE,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.EPSILON,
  NaN,
  Infinity,
  -Infinity,
  -1e-300,
  123456.789,
  -(2 ** 60),
];

function xxh3Vectors(): Vector[] {
  const v: Vector[] = [
    { name: 'empty', input: { bytes: { hex: '' } } },
    { name: 'a', input: { bytes: { utf8: 'a' } } },
    { name: 'abc', input: { bytes: { utf8: 'abc' } } },
    { name: 'hello world', input: { bytes: { utf8: 'hello world' } } },
    { name: '0..999 mod 256', input: { bytes: { affine: { mul: 1, add: 0, mod: 256, length: 1000 } } } },
    { name: '300000 bytes i*7 mod 251', input: { bytes: { affine: { mul: 7, add: 0, mod: 251, length: 300_000 } } } },
  ];
  // Every size class of XXH3-64: 1-3, 4-8, 9-16, 17-128, 129-240, > 240 (several stripes and blocks).
  for (const length of [3, 4, 8, 9, 16, 17, 128, 129, 240, 241, 1024, 1025, 65536 + 7]) {
    v.push({
      name: `${length} bytes i*31+7 mod 256`,
      input: { bytes: { affine: { mul: 31, add: 7, mod: 256, length } } },
    });
  }
  return v;
}

function encodeNumbersVectors(): Vector[] {
  const v: Vector[] = EDGE_NUMBERS.map((x) => ({
    name: `scalar ${noteNumber(x)}`,
    input: { values: [noteNumber(x)], width: 0 },
  }));
  v.push(
    { name: 'NaN with a payload', input: { values: ['bits:7ff0000000000001'], width: 0 } },
    { name: 'negative NaN', input: { values: ['bits:fff8000000000000'], width: 0 } },
    { name: 'every edge number as scalars', input: { values: EDGE_NUMBERS.map(noteNumber), width: 0 } },
    { name: 'rows of 2', input: { values: [1, '2.5', 3, -4], width: 2 } },
    { name: 'rows of 15 (fixarray)', input: { values: Array.from({ length: 30 }, (_, i) => i), width: 15 } },
    { name: 'rows of 16 (array16)', input: { values: Array.from({ length: 32 }, (_, i) => i - 16), width: 16 } },
    { name: 'a row of 20', input: { values: Array.from({ length: 20 }, () => 1), width: 20 } },
    { name: 'no values, width 3', input: { values: [], width: 3 } },
    { name: 'no values, width 0', input: { values: [], width: 0 } },
    { name: '3 values do not split into width 2', input: { values: [1, 2, 3], width: 2 } },
    { name: 'width 2^32', input: { values: [], width: 2 ** 32 } },
    { name: 'negative width', input: { values: [], width: -1 } },
    { name: 'fractional width', input: { values: [1, 2], width: 1.5 } },
  );
  return v;
}

function typedArraysOfEveryDtype(): ArrayBufferView[] {
  return [
    new Int8Array([-128, -1, 0, 1, 127]),
    new Uint8Array([0, 1, 254, 255]),
    new Uint8ClampedArray([0, 128, 255]),
    new Int16Array([-32768, -1, 0, 32767]),
    new Uint16Array([0, 1, 65535]),
    new Int32Array([-(2 ** 31), -1, 0, 2 ** 31 - 1]),
    new Uint32Array([0, 1, 2 ** 32 - 1]),
    new Float32Array([0, -1.5, 3.25, Infinity, NaN]),
    new Float64Array([0, -1.5, Math.PI, -Infinity, NaN, 2 ** 60]),
    new BigInt64Array([-(2n ** 63n), -1n, 0n, 2n ** 63n - 1n]),
    new BigUint64Array([0n, 1n, 2n ** 64n - 1n]),
  ];
}

const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const bytesOfSegments = (segments: ArrayBufferView[]) =>
  concat(segments.map((s) => new Uint8Array(s.buffer, s.byteOffset, s.byteLength)));

function scanListVectors(): Vector[] {
  const mixed = [
    null,
    true,
    'a string',
    [1, 'two'],
    { obs: [1, 2], reward: -0.25 },
    new Float32Array([1, 2]),
    12345678901234567890n,
  ];
  const numbers = encode(EDGE_NUMBERS);
  const tensors = bytesOfSegments(encodeList(typedArraysOfEveryDtype(), 0));
  const shifted = concat([
    new Uint8Array([0xaa, 0xbb, 0xcc]),
    bytesOfSegments(encodeList(typedArraysOfEveryDtype(), 3)),
  ]);
  const cases: [string, Uint8Array, number][] = [
    ['empty fixarray', new Uint8Array([0x90]), 0],
    ['empty array16', new Uint8Array([0xdc, 0, 0, 0xc0]), 0],
    ['edge numbers', numbers, 0],
    [
      'rows of 3 after two bytes',
      concat([
        new Uint8Array([0xaa, 0xbb]),
        encode([
          [1, 2.5, -3],
          [4, 5, 6],
        ]),
      ]),
      2,
    ],
    ['rows of unequal width are mixed', encode([[1, 2], [3]]), 0],
    ['numbers and a string are mixed', encode([1, 'x']), 0],
    ['typed arrays of every dtype', tensors, 0],
    ['typed arrays at offset 3', shifted, 3],
    ['mixed values', encode(mixed, { extensionCodec }), 0],
    ['empty bytes', new Uint8Array(0), 0],
    ['offset past the end', new Uint8Array([0x90]), 5],
    ['not an array', new Uint8Array([0x01]), 0],
    ['truncated numbers list', numbers.subarray(0, numbers.length - 3), 0],
    ['array32 claiming 2^32-1 items', new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff, 0x01]), 0],
    ['truncated typed array', tensors.subarray(0, 40), 0],
    ['typed array of unknown dtype 12', new Uint8Array([0x91, 0xd6, 0x01, 12, 0, 1, 2]), 0],
    [
      'typed array whose length is no multiple of its element size',
      new Uint8Array([0x91, 0xc7, 0x05, 0x01, 4, 0, 1, 2, 3]),
      0,
    ],
    ['typed array whose pad runs past its payload', new Uint8Array([0x91, 0xd5, 0x01, 2, 9]), 0],
    ['reserved marker 0xc1 inside a mixed list', new Uint8Array([0x92, 0xa1, 0x78, 0xc1]), 0],
  ];
  return cases.map(([name, bytes, offset]) => ({ name, input: { hex: hex(bytes), offset } }));
}

const LIB = { name: 'pamiq-core', version: '0.1.0' };

/** A state tree below `prefix` (`<prefix>/manifest.json` sealed, files as given) with its manifest. */
function stateTree(
  prefix: string,
  files: Record<string, string>,
  opts: {
    formatVersion?: number;
    seq?: number;
    createdAtNs?: string;
    components?: string[];
    edit?: (m: any) => void;
  } = {},
): TreeNote {
  const formatVersion = opts.formatVersion ?? 2;
  const manifest: any = {
    format: 'pamiq-state',
    formatVersion,
    library: LIB,
    createdAtNs: opts.createdAtNs ?? '1764075695123456789',
    ...(formatVersion >= 2 ? { seq: opts.seq ?? 1 } : {}),
    components: opts.components ?? ['counter', 'stats'],
    files: Object.keys(files)
      .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      .map((path) => ({ path, size: Buffer.byteLength(files[path]!), xxh3: twin.xxh3(Buffer.from(files[path]!)) })),
  };
  opts.edit?.(manifest);
  const tree: TreeNote = { [`${prefix}/manifest.json`]: sealManifest(manifest) };
  for (const [rel, text] of Object.entries(files)) tree[`${prefix}/${rel}`] = text;
  return tree;
}

/** `tree` without the entry `rel`. */
const without = (tree: TreeNote, rel: string): TreeNote =>
  Object.fromEntries(Object.entries(tree).filter(([k]) => k !== rel));

const FILES = {
  'counter/value.msgpack': '\x81\xa5value\x07',
  'stats/episode_stats.txt': 'episode_count: 3\ntotal_reward: 1.5\n',
};

function stateVectors(): Vector[] {
  const intact = stateTree('state', FILES);
  const v: [string, TreeNote, string?][] = [
    ['intact format 2', intact],
    ['intact format 1', stateTree('state', FILES, { formatVersion: 1 })],
    ['no files', stateTree('state', {})],
    ['a file of the wrong size', { ...intact, 'state/counter/value.msgpack': '\x81\xa5value\x07\x00' }],
    ['a file of the wrong checksum', { ...intact, 'state/counter/value.msgpack': '\x81\xa5value\x08' }],
    ['a missing file', Object.fromEntries(Object.entries(intact).filter(([k]) => !k.startsWith('state/stats/')))],
    ['an unlisted file', { ...intact, 'state/extra.bin': 'x' }],
    ['an unlisted empty directory is no problem', { ...intact, 'state/empty': { dir: true } }],
    [
      'a listed file behind a symlinked directory',
      {
        ...without(
          stateTree('state', { 'counter/value.msgpack': FILES['counter/value.msgpack'] }),
          'state/counter/value.msgpack',
        ),
        'state/counter': { symlink: '../elsewhere' },
        'elsewhere/value.msgpack': FILES['counter/value.msgpack'],
      },
    ],
    [
      'a listed file that is a symlink',
      {
        ...without(stateTree('state', { 'a.bin': 'abc' }), 'state/a.bin'),
        'state/a.bin': { symlink: '../outside.bin' },
        'outside.bin': 'abc',
      },
    ],
    ['no manifest', { 'state/counter/value.msgpack': 'x' }],
    ['no directory', {}],
    ['a file instead of a directory', { state: 'not a directory' }],
    ['invalid JSON', { 'state/manifest.json': '{"format": "pamiq-state",' }],
    ['a newer format', stateTree('state', FILES, { formatVersion: 3 })],
    [
      'a manifest checksum mismatch',
      { ...intact, 'state/manifest.json': (intact['state/manifest.json'] as string).replace('"seq": 1', '"seq": 2') },
    ],
    [
      'a format-1 manifest with a wrong checksum member',
      {
        ...stateTree('state', FILES, { formatVersion: 1 }),
        'state/manifest.json': (
          stateTree('state', FILES, { formatVersion: 1 })['state/manifest.json'] as string
        ).replace(/\n}$/, ',\n  "manifestXxh3": "0000000000000000"\n}'),
      },
    ],
    [
      'a manifest that is a symlink',
      { 'state/manifest.json': { symlink: '../m.json' }, 'm.json': intact['state/manifest.json'] as string },
    ],
    ['files not an array', stateTree('state', {}, { edit: (m) => (m.files = {}) })],
    ['a file path with ..', stateTree('state', FILES, { edit: (m) => (m.files[0].path = '../x') })],
    [
      'a file path naming the manifest',
      stateTree('state', FILES, { edit: (m) => (m.files[0].path = 'manifest.json') }),
    ],
    ['a duplicate file path', stateTree('state', FILES, { edit: (m) => m.files.push(m.files[0]) })],
    [
      'an xxh3 that is not 16 hex digits',
      stateTree('state', FILES, { edit: (m) => (m.files[0].xxh3 = 'ABCDEF0123456789') }),
    ],
    ['a negative size', stateTree('state', FILES, { edit: (m) => (m.files[0].size = -1) })],
    ['createdAtNs not decimal', stateTree('state', FILES, { edit: (m) => (m.createdAtNs = '12e3') })],
    ['another format name', stateTree('state', FILES, { edit: (m) => (m.format = 'other') })],
    ['seq missing in format 2', stateTree('state', FILES, { edit: (m) => delete m.seq })],
  ];
  return v.map(([name, tree]) => ({ name, input: { tree } }));
}

function scanVectors(): Vector[] {
  const tree: TreeNote = {
    ...stateTree('states/a.state', FILES, { seq: 2, createdAtNs: '1000' }),
    ...stateTree('states/b.state', FILES, { seq: 1, createdAtNs: '2000' }),
    ...stateTree('states/c.state', FILES, { formatVersion: 1, createdAtNs: '3000' }),
    ...stateTree('states/d.state', FILES, { seq: 2, createdAtNs: '1000', components: ['x'] }),
    ...stateTree('states/e.state', { 'only.bin': '0123456789' }, { seq: 7, createdAtNs: '999' }),
    'states/f.state/counter/value.msgpack': 'no manifest',
    'states/g.state/manifest.json': '{',
    ...stateTree('states/h.state', FILES, { formatVersion: 3 }),
    'states/i.state': 'a file, not a directory',
    ...stateTree('states/other', FILES, { seq: 3 }),
    ...stateTree('states/.hidden.state', FILES, { seq: 4 }),
    'states/.pamiq-tmp-x.state-1-0000abcd/part.bin': 'x',
    'states/.pamiq-trash-y.state-0000abcd': { dir: true },
    'states/j.state': { symlink: 'a.state' },
  };
  return [
    ['*.state', tree, '*.state'],
    ['everything', tree, '*'],
    ['braces', tree, '{a,c,f}.state'],
    ['a class and ?', tree, '[a-c]?state'],
    ['no match', tree, 'zzz*'],
    ['empty states dir', { 'states/': { dir: true } } as TreeNote, '*'],
    ['missing states dir', {}, '*'],
    ['states dir is a file', { states: 'file' } as TreeNote, '*'],
    // What globset (native) refuses with EINVAL; the twin checks the same (checkPattern in src/backend/ts/scan.ts).
    ['an unclosed class', tree, '[a'],
    ['an empty class', tree, '[]'],
    ['an empty negated class', tree, '[!]'],
    ['a range ending below its start', tree, '[z-a]'],
    ['a range ending in a dash below its start', tree, '[a--]'],
    ['an unclosed alternate group', tree, '{a,b'],
    ['a closing brace without a group', tree, 'a}'],
    ['a trailing backslash', tree, 'a\\'],
    ['an invalid pattern on a missing states dir', {}, '[a'],
    // Accepted by both, with the same matches.
    ['a ] first in a class is a member', tree, '[]a]*'],
    ['a dash first or last in a class is a member', tree, '[-a]*'],
    ['nested alternates', tree, '{a,{b,c}}.state'],
    ['an escaped bracket', tree, '\\[*'],
  ]
    .map(([name, tree, pattern]) => ({ name: name as string, input: { tree, pattern } }) as Vector)
    .concat([
      {
        name: 'a leading ! is a literal character',
        input: { tree: { ...tree, 'states/!a.state/': { dir: true } }, pattern: '!a.state' },
      },
    ]);
}

function commitVectors(): Vector[] {
  const base = { name: 'a.state', library: LIB, createdAtNs: '1764075695123456789', components: ['counter', 'stats'] };
  const existing = {
    ...stateTree('a.state', FILES, { seq: 5 }),
    ...stateTree('a_1.state', FILES, { seq: 2 }),
    ...stateTree('old.state', FILES, { formatVersion: 1 }),
    ...stateTree('.hidden', FILES, { seq: 100 }),
  };
  return [
    { name: 'into an empty states dir', input: { ...base, tmp: FILES } },
    {
      name: 'with empty directories and nested paths',
      input: {
        ...base,
        tmp: { ...FILES, 'models/empty': { dir: true }, 'z/y/x.bin': '', 'Z.bin': 'upper', 'a b/ü.txt': 'utf-8 name' },
      },
    },
    { name: 'a taken name gets a suffix and seq follows the largest', input: { ...base, existing, tmp: FILES } },
    {
      name: 'a name without .state gets the suffix appended',
      input: { ...base, name: 'plain', existing: stateTree('plain', FILES), tmp: FILES },
    },
    {
      name: 'known digests are trusted as given',
      input: { ...base, tmp: FILES, known: { 'counter/value.msgpack': { size: 8, xxh3: '0123456789abcdef' } } },
    },
    {
      name: 'a symlink inside',
      input: { ...base, tmp: { ...FILES, 'link.bin': { symlink: 'counter/value.msgpack' } } },
    },
    { name: 'a name with a slash', input: { ...base, name: 'a/b.state', tmp: FILES } },
    { name: 'a name of ..', input: { ...base, name: '..', tmp: FILES } },
    { name: 'an empty name', input: { ...base, name: '', tmp: FILES } },
    { name: 'a name starting with a dot', input: { ...base, name: '.x.state', tmp: FILES } },
  ];
}

function writerVectors(): Vector[] {
  return [
    { name: 'no appends', input: { appends: [] } },
    { name: 'one append of three segments', input: { appends: [['0102', '', '030405']] } },
    { name: 'several appends', input: { appends: [['68656c6c6f'], ['20'], ['776f726c64']] } },
    { name: 'a large segment', input: { appends: [[hex(new Uint8Array(5000).map((_, i) => (i * 13) % 256))]] } },
    { name: 'the target exists', input: { existing: 'ff', appends: [['00']] } },
  ];
}

function removeVectors(): Vector[] {
  const tree = {
    ...stateTree('states/a.state', FILES, { seq: 1 }),
    ...stateTree('states/b.state', FILES, { seq: 2 }),
    'states/c.state/deep/er/file.bin': 'x',
  };
  return [
    { name: 'two states', input: { tree, paths: ['states/a.state', 'states/c.state'] } },
    { name: 'a missing path among others', input: { tree, paths: ['states/zz.state', 'states/b.state'] } },
    { name: 'the same path twice', input: { tree, paths: ['states/a.state', 'states/a.state'] } },
    { name: 'nothing', input: { tree, paths: [] } },
  ];
}

function leftoverVectors(): Vector[] {
  return [
    {
      name: 'temporary and trash entries go, states stay',
      input: {
        tree: {
          ...stateTree('states/a.state', FILES),
          'states/.pamiq-tmp-a.state-1-0000abcd/x/y.bin': 'x',
          'states/.pamiq-trash-b.state-0000abcd/manifest.json': '{}',
          'states/.pamiq-tmp-file': 'a file',
          'states/.other': 'kept',
          'states/.pamiq.lock.1': 'kept',
        },
      },
    },
    { name: 'an empty states dir', input: { tree: { 'states/': { dir: true } } } },
    { name: 'a missing states dir', input: { tree: {} } },
  ];
}

function snapshotVectors(): Vector[] {
  const tree: TreeNote = {
    'src/a.bin': 'abc',
    'src/sub/b.bin': { hex: hex(new Uint8Array(3000).map((_, i) => (i * 7) % 251)) },
    'src/sub/deeper/c.txt': 'ünïcödé',
    'src/empty': { dir: true },
    'src/Z.bin': '',
  };
  return [
    { name: 'a tree', input: { tree, src: 'src', dest: 'out/snap' } },
    { name: 'an empty directory', input: { tree: { 'src/': { dir: true } }, src: 'src', dest: 'snap' } },
    { name: 'src missing', input: { tree: {}, src: 'src', dest: 'snap' } },
    { name: 'src a file', input: { tree: { src: 'x' }, src: 'src', dest: 'snap' } },
    { name: 'dest inside src', input: { tree, src: 'src', dest: 'src/sub/snap' } },
    { name: 'dest exists', input: { tree: { ...tree, 'snap/': { dir: true } }, src: 'src', dest: 'snap' } },
    {
      name: 'a symlink inside',
      input: { tree: { ...tree, 'src/link': { symlink: 'a.bin' } }, src: 'src', dest: 'snap' },
    },
  ];
}

function lockVectors(): Vector[] {
  return [
    { name: 'probe: nothing there', input: { op: 'probe', path: 'claim' } },
    { name: 'probe: a directory', input: { op: 'probe', tree: { 'claim/': { dir: true } }, path: 'claim' } },
    {
      name: 'probe: a symlink',
      input: { op: 'probe', tree: { target: 'x', claim: { symlink: 'target' } }, path: 'claim' },
    },
    { name: 'probe: a plain file nobody locks', input: { op: 'probe', tree: { claim: '{}' }, path: 'claim' } },
    { name: 'claim, probe while held, release', input: { op: 'claim', path: 'claim', contents: '{"pid": 1}' } },
    { name: 'claim over an existing file', input: { op: 'claim', tree: { claim: 'x' }, path: 'claim', contents: 'y' } },
    {
      name: 'claim over a symlink',
      input: { op: 'claim', tree: { claim: { symlink: 'nowhere' } }, path: 'claim', contents: 'y' },
    },
  ];
}

// ---------------------------------------------------------------- writing

const VECTORS: [kind: string, description: string, make: () => Vector[], perBackend?: boolean][] = [
  ['xxh3', 'xxh3(bytes): XXH3-64 (seed 0), 16 lowercase hex digits', xxh3Vectors],
  [
    'encode-numbers',
    'encodeNumbers(values, width): the msgpack items of a numbers list, or the error code',
    encodeNumbersVectors,
  ],
  ['scan-list', 'scanList(bytes, offset): the kind and tables of a list, or the error code', scanListVectors],
  [
    'state',
    'verifyState and readState of <dir>/state after writing the tree: the report (manifest, problems, read file digests) or the error',
    stateVectors,
  ],
  [
    'scan',
    'scanStates(<dir>/states, pattern): the entries (path as <dir>/…, mtimeMs checked to be a number) and leftovers, or the error',
    scanVectors,
  ],
  [
    'commit',
    'commitState of <dir>/states/.pamiq-tmp-c (filled with tmp) into <dir>/states (holding existing): the result with the manifest text, and the tree afterwards',
    commitVectors,
  ],
  [
    'writer',
    'createWriter(<dir>/out.bin): appends of hex segments, then finish: the digest and the file, or which append failed',
    writerVectors,
  ],
  [
    'remove',
    'removeStates of <dir>/<path> for each path: outcomes (error code only) and the tree afterwards',
    removeVectors,
  ],
  ['remove-leftovers', 'removeLeftovers(<dir>/states): the names removed and the tree afterwards', leftoverVectors],
  [
    'snapshot',
    'snapshotClone then snapshotCopy of <dir>/<src> to <dir>/<dest>: listing (no mtimes, no clone flags), digests and the copy',
    snapshotVectors,
  ],
  [
    'lock',
    'createLockClaim / probeLockClaim: by contract the twin has no OS locks, so the outcomes are per backend',
    lockVectors,
    true,
  ],
];

/** Vectors of one kind with their recorded outcomes; throws when native and the twin disagree. */
async function withOutcomes(kind: string, vectors: Vector[], perBackend: boolean): Promise<Vector[]> {
  const out: Vector[] = [];
  for (const v of vectors) {
    const ts = await evaluate(kind, twin, v);
    const nat = native ? await evaluate(kind, native, v) : undefined;
    if (perBackend) {
      if (!native) throw new Error(`${kind}: per-backend vectors need the native backend (${v.name})`);
      out.push({ ...v, perBackend: { native: nat, ts } });
      continue;
    }
    if (v.knownDifference) {
      // The documented behaviour is native's; the spec marks the listed backend's case as failing.
      if (!native) throw new Error(`${kind}: a vector with a known difference needs the native backend (${v.name})`);
      out.push({ ...v, expect: nat });
      continue;
    }
    if (native && !isDeepStrictEqual(JSON.parse(JSON.stringify(nat)), JSON.parse(JSON.stringify(ts)))) {
      throw new Error(
        `${kind} / ${v.name}: native and the twin disagree\n native: ${JSON.stringify(nat)}\n ts:     ${JSON.stringify(ts)}`,
      );
    }
    out.push({ ...v, expect: ts });
  }
  return out;
}

/** Writes `rel` unless it exists; an existing file that differs is reported, never replaced. */
function writeOnce(rel: string, text: string) {
  const path = join(CONFORMANCE, rel);
  if (existsSync(path)) {
    if (readFileSync(path, 'utf8') === text) say(`  unchanged ${rel}`);
    else {
      failed = true;
      say(
        `  DIFFERS   ${rel}: kept as it is (fixtures are never regenerated in place; add a new vector file or fixture)`,
      );
    }
    return;
  }
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
  say(`  wrote     ${rel}`);
}

async function writeVectors() {
  for (const [kind, description, make, perBackend] of VECTORS) {
    const vectors = await withOutcomes(kind, make(), perBackend ?? false);
    writeOnce(`vectors/${kind}.json`, `${JSON.stringify({ kind, description, vectors }, null, 2)}\n`);
  }
}

// ---------------------------------------------------------------- fixtures by the library's save path

/** Data for the format-2 state and the version-2 buffer files. */
async function buildSystem(statesDir: string) {
  const { StateStore } = await import('../src/state/store.js');
  const { SequentialBuffer, DictSequentialBuffer } = await import('../src/data/index.js');
  const { Counter, EpisodeStats } = await import('../__test__/helpers/components.js');
  const buffers = {
    records: new SequentialBuffer<unknown>(10),
    numbers: new SequentialBuffer<unknown>(10),
    booleans: new SequentialBuffer<unknown>(10),
    tensors: new SequentialBuffer<unknown>(10),
    rows: new SequentialBuffer<unknown>(10),
    mixed: new SequentialBuffer<unknown>(10),
    dict: new DictSequentialBuffer<unknown>(['obs', 'reward'], 10),
  };
  const items: Record<keyof typeof buffers, unknown[]> = {
    records: [
      { obs: new Float32Array([1, 2]), action: 1, reward: -0.25, done: false, info: 'a' },
      { obs: new Float32Array([3, 4]), action: 2, reward: 0, done: true, info: null },
      { obs: new Float32Array([NaN, -0]), action: 3, reward: Infinity, done: false, info: [1, 'x'] },
    ],
    numbers: [0, -0, 1.5, 300, -70000, 1e300, NaN, -Infinity],
    booleans: [true, false, true],
    tensors: [new Int16Array([1, -2, 3]), new Int16Array([4, 5, -6])],
    rows: [
      [1, 2, 3],
      [0.5, -0.5, 1e-9],
      ['mixed', 2, 3],
    ],
    mixed: [
      'text',
      '',
      null,
      { nested: [1, 'a', { deep: new Int16Array([-2, 5]) }] },
      12345678901234567890n,
      new Date(1764075695123),
    ],
    dict: [
      { obs: new Float32Array([1, 2]), reward: 0.25 },
      { obs: new Float32Array([3, 4]), reward: -1 },
    ],
  };
  for (const [name, list] of Object.entries(items)) {
    const b = buffers[name as keyof typeof buffers] as any;
    for (const item of list) b.add(item);
  }
  const counter = new Counter();
  counter.value = 42;
  const stats = new EpisodeStats();
  stats.episodeCount = 7;
  stats.totalReward = -2.5;
  const store = new StateStore({ statesDir });
  store.register('counter', counter);
  store.register('stats', stats);
  for (const [name, b] of Object.entries(buffers)) store.register(`data_${name}`, b);
  return { store, items };
}

/** Size and XXH3 of a file. */
const fileDigest = (path: string) => {
  const bytes = readFileSync(path);
  return { size: bytes.length, xxh3: twin.xxh3(bytes) };
};

/** The rows of the dict buffer as `getData()` returns them: one list per key. */
const dictColumns = (rows: unknown[]) => ({ obs: rows.map((x: any) => x.obs), reward: rows.map((x: any) => x.reward) });

async function writeStateAndBufferFixtures() {
  const stateDir = join(CONFORMANCE, 'states', 'format-2');
  const bufferDir = join(CONFORMANCE, 'buffer-files', 'v2');
  if (existsSync(stateDir) && existsSync(bufferDir)) {
    say('  kept      states/format-2 and buffer-files/v2 (frozen)');
    return;
  }
  if (existsSync(stateDir) || existsSync(bufferDir)) {
    failed = true;
    say(
      '  one of states/format-2 and buffer-files/v2 exists without the other: remove neither by hand, add a new fixture',
    );
    return;
  }
  const scratch = mkdtempSync(join(tmpdir(), 'pamiq-conformance-gen-'));
  try {
    const { store, items } = await buildSystem(scratch);
    const path = await store.saveState();
    const name = readdirSync(scratch).find((n) => !n.startsWith('.'))!;
    cpSync(path, join(stateDir, name), { recursive: true });
    const manifest = JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8'));
    writeFileSync(
      join(stateDir, 'expected.json'),
      `${JSON.stringify(
        {
          description:
            'A state written by StateStore.saveState (format 2): components counter (__test__/helpers/components.ts Counter), stats (EpisodeStats) and data_<name> (SequentialBuffer of maxSize 10; data_dict: DictSequentialBuffer with keys obs, reward and maxSize 10, its getData()). Loading it must give these values.',
          state: name,
          manifest,
          load: {
            counter: { value: 42 },
            stats: { episodeCount: 7, totalReward: -2.5 },
            buffers: Object.fromEntries(
              Object.entries(items).map(([k, list]) => [
                `data_${k}`,
                noteValue(k === 'dict' ? dictColumns(list) : list),
              ]),
            ),
          },
        },
        null,
        2,
      )}\n`,
    );
    mkdirSync(bufferDir, { recursive: true });
    for (const k of Object.keys(items)) cpSync(join(path, `data_${k}.msgpack`), join(bufferDir, `${k}.msgpack`));
    writeFileSync(
      join(bufferDir, 'expected.json'),
      `${JSON.stringify(
        {
          description:
            'Buffer files of format version 2 (columnar record and column batches), written by SequentialBuffer / DictSequentialBuffer saveState. Each <name>.msgpack has the size and XXH3 given in file; loading it into the kind given must give these items (dict: the dict buffer data, key -> list).',
          files: Object.fromEntries(
            Object.entries(items).map(([k, list]) => [
              k,
              k === 'dict'
                ? {
                    kind: 'DictSequentialBuffer',
                    file: fileDigest(join(bufferDir, `${k}.msgpack`)),
                    keys: ['obs', 'reward'],
                    data: noteValue(dictColumns(list)),
                  }
                : {
                    kind: 'SequentialBuffer',
                    file: fileDigest(join(bufferDir, `${k}.msgpack`)),
                    items: noteValue(list),
                  },
            ]),
          ),
        },
        null,
        2,
      )}\n`,
    );
    say(`  wrote     states/format-2/${name} and buffer-files/v2`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

say(`conformance data in ${CONFORMANCE} (twin${native ? ' checked against native' : ' only: native did not load'})`);
await writeVectors();
await writeStateAndBufferFixtures();
if (failed) process.exit(1);
