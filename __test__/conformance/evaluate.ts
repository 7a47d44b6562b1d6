/**
 * How a vector of conformance/vectors/ is run on one engine: each evaluator takes the vector's `input`,
 * calls the engine and returns the outcome in the JSON form the vector's `expect` holds
 * (conformance/README.md). The generator records the outcome of the twin (checked against native when
 * it loads); the conformance spec compares each backend's outcome with the recorded one;
 * crates/engine/tests/conformance.rs computes the same outcomes in Rust.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Engine, FileDigest, ListScan, ReadStateResult, VerifyReport } from '../../src/backend/types.js';
import {
  hex,
  noteNumber,
  placeDir,
  readBytes,
  readNumber,
  unhex,
  writeTree,
  type BytesNote,
  type NumberNote,
  type TreeNote,
} from './data.js';

export type Outcome = unknown;

/** A fresh scratch directory, removed after `fn`. */
async function scratch<T>(fn: (dir: string) => Promise<T> | T): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'pamiq-conformance-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `{error: code}` of a thrown EngineError. The contract fixes the code; the messages name the same
 * things but their wording is each backend's own.
 */
function failure(err: unknown): Outcome {
  const e = err as { code?: string };
  if (typeof e?.code !== 'string') throw err;
  return { error: e.code };
}

async function outcome(fn: () => Promise<Outcome> | Outcome): Promise<Outcome> {
  try {
    return await fn();
  } catch (err) {
    return failure(err);
  }
}

/** The names in `dir`, recursively, `/`-separated and sorted; directories end in `/`. */
export function listTree(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(dir, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${name}` : name;
    if (lstatSync(join(dir, rel)).isDirectory()) out.push(`${rel}/`, ...listTree(dir, rel));
    else out.push(rel);
  }
  return out;
}

function scanOutcome(s: ListScan): Outcome {
  switch (s.kind) {
    case 'numbers':
      return { kind: s.kind, count: s.count, width: s.width, values: Array.from(s.values, noteNumber), end: s.end };
    case 'tensors':
      return {
        kind: s.kind,
        count: s.count,
        dtypes: Array.from(s.dtypes),
        offsets: Array.from(s.offsets),
        byteLengths: Array.from(s.byteLengths),
        end: s.end,
      };
    default:
      return { kind: s.kind, count: s.count, end: s.end };
  }
}

function reportOutcome(r: VerifyReport | ReadStateResult): Outcome {
  const out: Record<string, unknown> = { manifest: r.manifest, problems: r.problems };
  if ('files' in r) {
    out.files = Object.fromEntries(
      [...r.files].map(([path, bytes]) => [path, { size: bytes.length, xxh3: hashOf(bytes) }]),
    );
  }
  return out;
}

let hashOf: (b: Uint8Array) => string = () => {
  throw new Error('hashOf used before an evaluation');
};

export interface Vector {
  name: string;
  input: Record<string, unknown>;
  /** The outcome; `{native, ts}` under `perBackend` where the contract lets the backends differ. */
  expect?: Outcome;
  perBackend?: { native: Outcome; ts: Outcome };
  /**
   * A backend that does not meet `expect` yet, with the reason: a known contract mismatch, kept
   * visible (the spec registers that backend's case with `test.failing`) until it is fixed.
   */
  knownDifference?: Partial<Record<'native' | 'ts', string>>;
}

type Evaluator = (engine: Engine, input: any) => Promise<Outcome>;

export const evaluators: Record<string, Evaluator> = {
  async xxh3(engine, input: { bytes: BytesNote }) {
    return { xxh3: engine.xxh3(readBytes(input.bytes)) };
  },

  async 'encode-numbers'(engine, input: { values: NumberNote[]; width: number }) {
    return outcome(() => ({
      hex: hex(engine.encodeNumbers(new Float64Array(input.values.map(readNumber)), input.width)),
    }));
  },

  async 'scan-list'(engine, input: { hex: string; offset: number }) {
    return outcome(() => scanOutcome(engine.scanList(unhex(input.hex), input.offset)));
  },

  /** `verifyState` and `readState` of `<dir>/<state>` (default `state`) after writing `tree` into `<dir>`. */
  async state(engine, input: { tree: TreeNote; state?: string }) {
    return scratch(async (dir) => {
      writeTree(dir, input.tree);
      const path = join(dir, input.state ?? 'state');
      return {
        verify: await outcome(async () => reportOutcome(await engine.verifyState(path))),
        read: await outcome(async () => reportOutcome(await engine.readState(path))),
      };
    });
  },

  /** `scanStates(<dir>/<states>, pattern)` after writing `tree`; `path` as `<dir>/…`, mtimeMs dropped. */
  async scan(engine, input: { tree: TreeNote; states?: string; pattern: string }) {
    return scratch((dir) => {
      writeTree(dir, input.tree);
      return outcome(async () => {
        const r = await engine.scanStates(join(dir, input.states ?? 'states'), input.pattern);
        return {
          entries: r.entries.map(({ mtimeMs, path, ...rest }) => ({
            ...rest,
            path: placeDir(path, dir),
            mtimeMsIsNumber: typeof mtimeMs === 'number' && Number.isFinite(mtimeMs),
          })),
          leftovers: r.leftovers,
        };
      });
    });
  },

  /**
   * `commitState` of `<dir>/states/.pamiq-tmp-c` filled with `tmp`, into `<dir>/states` holding
   * `existing`: the result, the manifest file's text and the states dir afterwards.
   */
  async commit(
    engine,
    input: {
      existing?: TreeNote;
      tmp: TreeNote;
      known?: Record<string, FileDigest>;
      name: string;
      library: { name: string; version: string };
      createdAtNs: string;
      components: string[];
    },
  ) {
    return scratch(async (dir) => {
      const statesDir = join(dir, 'states');
      const tmpDir = join(statesDir, '.pamiq-tmp-c');
      writeTree(statesDir, input.existing ?? {});
      writeTree(tmpDir, input.tmp);
      const result = await outcome(async () => {
        const r = await engine.commitState({
          tmpDir,
          statesDir,
          name: input.name,
          known: input.known ?? {},
          library: input.library,
          createdAtNs: input.createdAtNs,
          components: input.components,
        });
        return {
          name: r.name,
          path: placeDir(r.path, dir),
          durable: r.durable,
          manifest: r.manifest,
          manifestText: readFileSync(join(r.path, 'manifest.json'), 'utf8'),
        };
      });
      return { result, after: listTree(statesDir) };
    });
  },

  /** A writer of `<dir>/out.bin` (holding `existing` first, when given): appends, then finish. */
  async writer(engine, input: { existing?: string; appends: string[][] }) {
    return scratch(async (dir) => {
      const path = join(dir, 'out.bin');
      if (input.existing !== undefined) writeTree(dir, { 'out.bin': { hex: input.existing } });
      const w = engine.createWriter(path);
      for (const [i, segments] of input.appends.entries()) {
        try {
          await w.append(segments.map(unhex));
        } catch (err) {
          await w.abort();
          return { failedAppend: i, ...(failure(err) as object), contents: hex(readFileSync(path)) };
        }
      }
      const digest = await w.finish();
      return { digest, contents: hex(readFileSync(path)) };
    });
  },

  /** `removeStates` of `<dir>/<path>` for each of `paths`, then the tree left. */
  async remove(engine, input: { tree: TreeNote; paths: string[] }) {
    return scratch(async (dir) => {
      writeTree(dir, input.tree);
      const outcomes = await engine.removeStates(input.paths.map((p) => join(dir, p)));
      const trashLeft = listTree(dir).filter((p) => p.includes('.pamiq-trash-'));
      return {
        outcomes: outcomes.map((o) => ({
          path: placeDir(o.path, dir),
          removed: o.removed,
          ...(o.error === undefined ? {} : { errorCode: o.error.split(':')[0] }),
        })),
        after: listTree(dir),
        trashLeft: trashLeft.length,
      };
    });
  },

  /** `removeLeftovers(<dir>/states)`: the names removed (sorted) and the tree left. */
  async 'remove-leftovers'(engine, input: { tree: TreeNote }) {
    return scratch(async (dir) => {
      writeTree(dir, input.tree);
      return outcome(async () => {
        const removed = (await engine.removeLeftovers(join(dir, 'states'))).sort();
        return { removed, after: listTree(dir) };
      });
    });
  },

  /**
   * `snapshotClone(<dir>/<src>, <dir>/<dest>)` then `snapshotCopy`: the listing (without mtimes and
   * the clone flag, which depend on the file system), the digests and the destination tree.
   */
  async snapshot(engine, input: { tree: TreeNote; src: string; dest: string }) {
    return scratch(async (dir) => {
      writeTree(dir, input.tree);
      const src = join(dir, input.src);
      const dest = join(dir, input.dest);
      return outcome(async () => {
        const listing = await engine.snapshotClone(src, dest);
        const digests = await engine.snapshotCopy(src, dest, listing);
        const contents = Object.fromEntries(
          listing.files.map((f) => [f.path, hex(readFileSync(join(dest, ...f.path.split('/'))))]),
        );
        return {
          dirs: listing.dirs,
          files: listing.files.map((f) => ({ path: f.path, size: f.size, mtimeNsIsDecimal: /^\d+$/.test(f.mtimeNs) })),
          digests,
          contents,
          destTree: listTree(dest),
        };
      });
    });
  },

  /**
   * Lock claims: `probe` of `<dir>/<path>` after writing `tree`; or `claim` (createLockClaim of
   * `<dir>/<path>` with `contents`, then the probe while held, the file's text, and the probe after
   * release). The backends differ by contract here (the twin has no OS locks): see `perBackend`.
   */
  async lock(engine, input: { op: 'probe' | 'claim'; tree?: TreeNote; path: string; contents?: string }) {
    return scratch(async (dir) => {
      writeTree(dir, input.tree ?? {});
      const path = join(dir, input.path);
      if (input.op === 'probe') return outcome(() => ({ probe: engine.probeLockClaim(path) }));
      return outcome(() => {
        const claim = engine.createLockClaim(path, input.contents ?? '');
        const whileHeld = engine.probeLockClaim(path);
        const text = readFileSync(path, 'utf8');
        claim.release();
        const afterRelease = engine.probeLockClaim(path);
        return { osLock: claim.osLock, whileHeld, text, afterRelease };
      });
    });
  },
};

/** The outcome of `vector` on `engine`. */
export async function evaluate(kind: string, engine: Engine, vector: Vector): Promise<Outcome> {
  const fn = evaluators[kind];
  if (!fn) throw new Error(`no evaluator for vectors of kind ${kind}`);
  hashOf = (b) => engine.xxh3(b);
  return fn(engine, vector.input);
}

/** What `vector` expects of `backend`. */
export function expected(vector: Vector, backend: 'native' | 'ts'): Outcome {
  return vector.perBackend ? vector.perBackend[backend] : vector.expect;
}

/** Makes the parents of `path` (for generators). */
export function parents(path: string): void {
  mkdirSync(resolve(path, '..'), { recursive: true });
}
