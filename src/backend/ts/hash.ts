/**
 * XXH3-64 (seed 0) for the TypeScript twin, with hash-wasm's WebAssembly build of xxHash.
 *
 * hash-wasm only creates hashers asynchronously, which would need a top-level await here (and so break
 * `require('pamiq-core')`). So its xxhash3 binary — embedded as base64 in `hash-wasm/dist/xxhash3.umd.min.js`,
 * checked against the SHA-1 prefix hash-wasm records beside it — is compiled and instantiated
 * synchronously (`new WebAssembly.Module` / `new WebAssembly.Instance`), and driven through the same
 * exports hash-wasm's own wrapper calls (`Hash_Init`, `Hash_Update`, `Hash_Final`). The file layout is
 * hash-wasm's, not its API: package.json pins the version, and `__test__/backend/hash.spec.ts` checks
 * the digests against hash-wasm's own (asynchronous) hasher.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The part of hash-wasm's hasher interface the twin uses. */
export interface Hasher {
  /** Starts a new digest (seed 0); returns the hasher. */
  init(): Hasher;
  /** Adds bytes; returns the hasher. */
  update(data: Uint8Array): Hasher;
  /** The digest of everything added since {@link init}, as 16 lowercase hex digits. */
  digest(outputType: 'hex'): string;
}

/** The WebAssembly API this file uses (Node's global; the project's `lib` has no DOM typings for it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface XXH3Exports {
  memory: { buffer: ArrayBuffer };
  Hash_GetBuffer(): number;
  Hash_Init(bits: number | null): void;
  Hash_Update(length: number): void;
  Hash_Final(padding: number | null): void;
}

/** Bytes hash-wasm's wrapper copies into the module's buffer per `Hash_Update` call. */
const CHUNK = 16 * 1024;

function loadModule(): object {
  const require = createRequire(import.meta.url);
  const file = require.resolve('hash-wasm/dist/xxhash3.umd.min.js');
  const text = readFileSync(file, 'utf8');
  const m = /name:"xxhash3",data:"([A-Za-z0-9+/=]+)",hash:"([0-9a-f]{8})"/.exec(text);
  if (!m)
    throw new Error(`hash-wasm's xxhash3 binary was not found in ${file} (a hash-wasm release with another layout?)`);
  const bytes = Buffer.from(m[1]!, 'base64');
  const sha1 = createHash('sha1').update(bytes).digest('hex').slice(0, 8);
  if (sha1 !== m[2])
    throw new Error(`hash-wasm's xxhash3 binary in ${file} does not match its recorded hash (${sha1} ≠ ${m[2]})`);
  return new wasm.Module(bytes);
}

/** Compiled at the first use, so that a native-backend process never reads it. */
let wasmModule: object | undefined;

class XXH3Hasher implements Hasher {
  private readonly exports: XXH3Exports;
  private readonly buffer: Uint8Array;

  constructor() {
    wasmModule ??= loadModule();
    this.exports = new wasm.Instance(wasmModule, {}).exports as unknown as XXH3Exports;
    // The buffer stays valid: the module never grows its memory (hash-wasm keeps the same view).
    this.buffer = new Uint8Array(this.exports.memory.buffer, this.exports.Hash_GetBuffer(), CHUNK);
    this.init();
  }

  init(): this {
    this.buffer.fill(0, 0, 8); // the 64-bit seed, read by Hash_Init: 0
    this.exports.Hash_Init(null);
    return this;
  }

  update(data: Uint8Array): this {
    for (let read = 0; read < data.length; read += CHUNK) {
      const chunk = data.subarray(read, read + CHUNK);
      this.buffer.set(chunk);
      this.exports.Hash_Update(chunk.length);
    }
    return this;
  }

  digest(_outputType: 'hex'): string {
    this.exports.Hash_Final(null);
    return Buffer.from(this.buffer.buffer, this.buffer.byteOffset, 8).toString('hex');
  }
}

let syncHasher: XXH3Hasher | undefined;

/** XXH3-64 of `bytes` as 16 lowercase hex digits. */
export function xxh3(bytes: Uint8Array): string {
  syncHasher ??= new XXH3Hasher();
  return syncHasher.init().update(asU8(bytes)).digest('hex');
}

/** A streaming hasher from the pool; call {@link releaseHasher} when done (also after failures). */
export async function acquireHasher(): Promise<Hasher> {
  return (pool.pop() ?? new XXH3Hasher()).init();
}

export function releaseHasher(h: Hasher): void {
  if (pool.length < 64) pool.push(h);
}

const pool: Hasher[] = [];

/** A Uint8Array view of any ArrayBufferView (zero-copy). */
export function asU8(view: ArrayBufferView): Uint8Array {
  return view instanceof Uint8Array && view.constructor === Uint8Array
    ? view
    : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}
