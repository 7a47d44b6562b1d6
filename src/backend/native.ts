/**
 * The native backend: wraps the raw N-API binding (the generated root `index.js`, Rust sources in
 * `binding/` over `crates/engine`) into the {@link Engine} interface. The binding's types come from the
 * generated `index.d.ts` ({@link NativeBinding}), never from copies kept here.
 *
 * What the adapter does on top of the binding:
 * - errors: the binding throws `CODE: message`; those become `EngineError(code, message)`. Errors without
 *   a code (e.g. napi's argument conversion) pass through unchanged;
 * - segments: any ArrayBufferView becomes a zero-copy Uint8Array view; a long segment list is written in
 *   batches of at most {@link MAX_SEGMENTS_PER_CALL} per native call (each call converts its segments on
 *   the JS thread, so this bounds how long one call holds the event loop);
 * - results: manifest JSON text → object, `paths`/`contents` → Map, `scanList`'s flat record → the
 *   `ListScan` union.
 */
import type {
  ClaimProbe,
  CommitRequest,
  CommitResult,
  Engine,
  FaultKind,
  FileDigest,
  FileWriter,
  ListScan,
  LockClaim,
  Manifest,
  Problem,
  ReadStateResult,
  RemoveOutcome,
  ScanResult,
  Segment,
  StateEntry,
  VerifyReport,
  SnapshotDigest,
  SnapshotListing,
} from './types.js';
import { EngineError } from './types.js';
import { checkSegments, detachedError } from './segments.js';
import type * as Binding from '../../index.js';

/** Segments handed to one native `append` call at most. */
export const MAX_SEGMENTS_PER_CALL = 4096;

/**
 * The exports of the generated loader, typed by its generated declarations (`index.d.ts`, written by
 * `napi build` from the Rust signatures in binding/): a changed signature there fails the type-check
 * here.
 */
export type NativeBinding = typeof Binding;

type RawWriter = Binding.NativeWriter;

/** Checked at load: a binary built from older sources lacks some (the loader exports them as undefined). */
const FUNCTIONS = [
  'commitState',
  'readState',
  'verifyState',
  'scanStates',
  'removeStates',
  'removeLeftovers',
  'encodeNumbers',
  'scanList',
  'xxh3',
  'probeClaimLock',
  'snapshotClone',
  'snapshotCopy',
] as const satisfies readonly (keyof NativeBinding)[];

const CODED = /^(E[A-Z]+): ([\s\S]*)$/;

/** `CODE: message` from the binding → EngineError; anything else unchanged. */
function translate(err: unknown): unknown {
  if (err instanceof Error && !(err instanceof EngineError)) {
    const m = CODED.exec(err.message);
    if (m) return new EngineError(m[1]!, m[2]!);
  }
  return err;
}

/** Bits of `RawScanResult.info`'s flags (binding/lib.rs). */
const SCAN_VALID = 1;
const SCAN_REASON = 1 << 1;
const SCAN_CREATED = 1 << 2;
const SCAN_SEQ = 1 << 3;
const SCAN_SIZE = 1 << 4;
const SCAN_FILE_COUNT = 1 << 5;
const SCAN_COMPONENTS = 1 << 6;
const SCAN_OWN_PATH = 1 << 7;
const SCAN_SAME_COMPONENTS = 1 << 8;

/**
 * The binding's packed scan (one string of all names, paths and reasons, their ends, a Float64Array of
 * the numeric fields, a Uint32Array of flags) → the `ScanResult` objects, in one pass. A path is the
 * binding's `prefix` and the name unless the flags say it is in the text; components repeated from the
 * previous entry are sent once (each entry still gets its own array). Optional fields are set only
 * when present, as the twin does.
 */
export function unpackScan(raw: Binding.RawScanResult): ScanResult {
  const { count, prefix, text, ends, numbers, info } = raw;
  const entries: StateEntry[] = new Array(count);
  let s = 0;
  let start = 0;
  const next = (): string => {
    const end = ends[s++]!;
    const str = text.slice(start, end);
    start = end;
    return str;
  };
  let previous: string[] = [];
  for (let i = 0; i < count; i++) {
    const flags = info[2 * i]!;
    const name = next();
    const path = flags & SCAN_OWN_PATH ? next() : prefix + name;
    const e: StateEntry = { name, path, mtimeMs: numbers[4 * i]!, valid: (flags & SCAN_VALID) !== 0 };
    if (flags & SCAN_REASON) e.reason = next();
    if (flags & SCAN_CREATED) e.createdAtNs = next();
    if (flags & SCAN_SEQ) e.seq = numbers[4 * i + 1]!;
    if (flags & SCAN_SIZE) e.size = numbers[4 * i + 2]!;
    if (flags & SCAN_FILE_COUNT) e.fileCount = numbers[4 * i + 3]!;
    if (flags & SCAN_COMPONENTS) {
      if (flags & SCAN_SAME_COMPONENTS) e.components = previous.slice();
      else {
        const n = info[2 * i + 1]!;
        const components: string[] = new Array(n);
        for (let k = 0; k < n; k++) components[k] = next();
        e.components = components;
        previous = components;
      }
    }
    entries[i] = e;
  }
  const leftovers: string[] = [];
  while (s < ends.length) leftovers.push(next());
  return { entries, leftovers };
}

async function call<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw translate(err);
  }
}

function callSync<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    throw translate(err);
  }
}

/** A Uint8Array view of any ArrayBufferView (zero-copy). Buffers are Uint8Arrays and pass as they are. */
function asU8(view: ArrayBufferView): Uint8Array {
  return view instanceof Uint8Array ? view : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

function problems(raw: Binding.RawProblem[]): Problem[] {
  // The engine only reports the fault kinds of FaultKind.
  return raw.map((p) => ({ path: p.path, fault: p.fault as FaultKind, detail: p.detail }));
}

function manifestOf(json: string): Manifest {
  return JSON.parse(json) as Manifest;
}

class NativeFileWriter implements FileWriter {
  constructor(
    private readonly raw: RawWriter,
    private readonly path: string,
  ) {}

  async append(segments: Segment[]): Promise<void> {
    // The engine copies each chunk into a bounce buffer before hashing and writing it, so mutated
    // arrays still give a file that matches its hash; a detached one is refused, before or after.
    const views = checkSegments(segments, this.path);
    const lengths = views.map((v) => v.byteLength);
    // At least one call, so that an empty append still creates the file (and reports EEXIST).
    let i = 0;
    do {
      const batch = views.slice(i, i + MAX_SEGMENTS_PER_CALL);
      await call(() => this.raw.append(batch));
      i += MAX_SEGMENTS_PER_CALL;
    } while (i < views.length);
    views.forEach((v, k) => {
      if (v.byteLength !== lengths[k]) throw detachedError(this.path, k);
    });
  }

  async finish(): Promise<FileDigest> {
    const d = await call(() => this.raw.finish());
    return { size: d.size, xxh3: d.xxh3 };
  }

  async abort(): Promise<void> {
    await this.raw.abort().catch(() => undefined);
  }
}

function scanListResult(r: Binding.RawListScan): ListScan {
  switch (r.kind) {
    case 'numbers':
      return {
        kind: 'numbers',
        count: r.count,
        width: r.width ?? 0,
        values: r.values ?? new Float64Array(0),
        end: r.end,
      };
    case 'tensors':
      return {
        kind: 'tensors',
        count: r.count,
        dtypes: r.dtypes ?? new Uint8Array(0),
        offsets: r.offsets ?? new Float64Array(0),
        byteLengths: r.byteLengths ?? new Float64Array(0),
        end: r.end,
      };
    default:
      return { kind: 'mixed', count: r.count, end: r.end };
  }
}

/** Wraps the raw N-API binding (the generated root index.js) into the {@link Engine} interface. */
export function createNativeEngine(b: NativeBinding): Engine {
  // The types hold for a binary built from these sources; check the exports for an older one.
  if (
    typeof b !== 'object' ||
    b === null ||
    typeof b.NativeWriter !== 'function' ||
    typeof b.NativeClaimLock !== 'function' ||
    FUNCTIONS.some((f) => typeof b[f] !== 'function')
  ) {
    throw new Error('the native binding lacks engine exports (stale build? run `npm run build`)');
  }
  return {
    name: 'native',

    createWriter(path: string): FileWriter {
      return new NativeFileWriter(
        callSync(() => new b.NativeWriter(path)),
        path,
      );
    },

    async commitState(req: CommitRequest): Promise<CommitResult> {
      const r = await call(() => b.commitState(req));
      const out: CommitResult = {
        path: r.path,
        name: r.name,
        manifest: manifestOf(r.manifestJson),
        durable: r.durable,
      };
      if (!r.durable) out.syncError = r.syncError ?? 'EIO: the states directory could not be fsynced';
      return out;
    },

    async readState(dir: string): Promise<ReadStateResult> {
      const r = await call(() => b.readState(dir));
      const files = new Map<string, Uint8Array>();
      r.paths.forEach((p, i) => {
        files.set(p, r.contents[i]!);
      });
      return { manifest: manifestOf(r.manifestJson), problems: problems(r.problems), files };
    },

    async verifyState(dir: string): Promise<VerifyReport> {
      const r = await call(() => b.verifyState(dir));
      return { manifest: manifestOf(r.manifestJson), problems: problems(r.problems) };
    },

    scanStates: async (dir: string, pattern: string): Promise<ScanResult> =>
      unpackScan(await call(() => b.scanStates(dir, pattern))),

    removeStates: (paths: string[]): Promise<RemoveOutcome[]> => call(() => b.removeStates(paths)),

    removeLeftovers: (dir: string): Promise<string[]> => call(() => b.removeLeftovers(dir)),

    encodeNumbers(values: Float64Array, width: number): Uint8Array {
      // napi would coerce a negative or fractional width to u32; reject it as the twin does.
      if (!Number.isSafeInteger(width) || width < 0 || width > 0xffffffff) {
        throw new EngineError('EINVAL', `encodeNumbers: width must be an integer in [0, 2^32), got ${width}`);
      }
      return callSync(() => b.encodeNumbers(values, width));
    },

    scanList(bytes: Uint8Array, offset: number): ListScan {
      return scanListResult(callSync(() => b.scanList(asU8(bytes), offset)));
    },

    xxh3(bytes: Uint8Array): string {
      return callSync(() => b.xxh3(asU8(bytes)));
    },

    createLockClaim(path: string, contents: string): LockClaim {
      const raw = callSync(() => new b.NativeClaimLock(path, contents));
      return { osLock: true, release: () => raw.release() };
    },

    probeLockClaim: (path: string): ClaimProbe => callSync(() => b.probeClaimLock(path)) as ClaimProbe,

    snapshotClone: (src: string, dest: string): Promise<SnapshotListing> => call(() => b.snapshotClone(src, dest)),

    snapshotCopy: (src: string, dest: string, listing: SnapshotListing): Promise<SnapshotDigest[]> =>
      call(() => b.snapshotCopy(src, dest, listing)),
  };
}
