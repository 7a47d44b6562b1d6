/**
 * manifest.json: building, serializing (key order of docs/engine.md) and strict parsing.
 *
 * Format 2 adds `seq` (after `createdAtNs`) and a last member `manifestXxh3`: the XXH3 of the manifest
 * text without that member (the body, `JSON.stringify(body, null, 2)`). The file is the body whose
 * closing `\n}` is replaced by `,\n  "manifestXxh3": "<16 hex>"\n}`; the parser checks it on the raw
 * bytes, so any change of the file (one flipped bit included) is refused. Format 1 still parses.
 */
import type { Manifest, ManifestFile } from '../types.js';
import { join } from 'node:path';
import { openRegular } from './fsutil.js';
import { xxh3 } from './hash.js';

export const MANIFEST_NAME = 'manifest.json';
export const FORMAT = 'pamiq-state';
export const FORMAT_VERSION = 2;
/** Largest manifest read (bytes); larger ones are refused with EBADMANIFEST (as by the native twin). */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
export const CHECKSUM_KEY = 'manifestXxh3';
const TRAILER_HEAD = new TextEncoder().encode(',\n  "manifestXxh3": "');
const TRAILER_TAIL = new TextEncoder().encode('"\n}');
const encoder = new TextEncoder();

/** The manifest body: the text without `manifestXxh3`. */
function bodyJson(m: Manifest): string {
  return JSON.stringify(normalize(m), null, 2);
}

/** The checksum a format-2 manifest of these values carries. */
export function manifestChecksum(m: Manifest): string {
  return xxh3(encoder.encode(bodyJson(m)));
}

/**
 * The manifest JSON text: two-space indentation, no trailing newline; from format 2 on with the
 * `manifestXxh3` member (computed here) last.
 */
export function serializeManifest(m: Manifest): string {
  const body = bodyJson(m);
  if (m.formatVersion < 2) return body;
  const sum = xxh3(encoder.encode(body));
  return `${body.slice(0, -2)},\n  "${CHECKSUM_KEY}": "${sum}"\n}`;
}

/** A copy with exactly the documented body keys, in the documented order (no checksum). */
function normalize(m: Manifest): Manifest {
  const files = m.files.map((f): ManifestFile => ({ path: f.path, size: f.size, xxh3: f.xxh3 }));
  const head = {
    format: m.format,
    formatVersion: m.formatVersion,
    library: { name: m.library.name, version: m.library.version },
    createdAtNs: m.createdAtNs,
  };
  return m.seq === undefined
    ? { ...head, components: [...m.components], files }
    : { ...head, seq: m.seq, components: [...m.components], files };
}

function endsWith(bytes: Uint8Array, tail: Uint8Array, at = bytes.length): boolean {
  if (at < tail.length) return false;
  for (let i = 0; i < tail.length; i++) if (bytes[at - tail.length + i] !== tail[i]) return false;
  return true;
}

/**
 * Checks the manifest's own checksum on the raw bytes: required from format 2 on, also checked in an
 * older format when the member is there. Returns it, if any.
 */
function checkOwnChecksum(bytes: Uint8Array, raw: Record<string, unknown>, formatVersion: number): string | undefined {
  const stored = raw[CHECKSUM_KEY];
  if (stored === undefined) {
    if (formatVersion < 2) return undefined;
    return bad(`"${CHECKSUM_KEY}" is missing`);
  }
  if (typeof stored !== 'string' || !HEX16.test(stored))
    return bad(`"${CHECKSUM_KEY}" must be 16 lowercase hex digits`);
  const trailerLen = TRAILER_HEAD.length + 16 + TRAILER_TAIL.length;
  const n = bytes.length;
  const wellPlaced =
    n >= trailerLen + 1 &&
    endsWith(bytes, TRAILER_TAIL) &&
    endsWith(bytes, TRAILER_HEAD, n - TRAILER_TAIL.length - 16) &&
    Buffer.from(bytes.subarray(n - TRAILER_TAIL.length - 16, n - TRAILER_TAIL.length)).toString('latin1') === stored;
  if (!wellPlaced) return bad(`"${CHECKSUM_KEY}" must be the last member, as written`);
  const body = new Uint8Array(n - trailerLen + 2);
  body.set(bytes.subarray(0, n - trailerLen));
  body[body.length - 2] = 0x0a; // "\n}"
  body[body.length - 1] = 0x7d;
  const found = xxh3(body);
  if (found !== stored) return bad(`checksum mismatch: ${CHECKSUM_KEY} is ${stored}, the manifest hashes to ${found}`);
  return stored;
}

const HEX16 = /^[0-9a-f]{16}$/;
const DECIMAL = /^[0-9]+$/;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Acceptable relative file path: non-empty `/`-separated segments, none of them empty, `.` or `..`, no
 * backslash or NUL, and not the manifest itself.
 */
export function isSafeRelativePath(p: string): boolean {
  if (p.length === 0 || p === MANIFEST_NAME || p.includes('\0') || p.includes('\\')) return false;
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.' || seg === '..') return false;
  }
  return true;
}

/** Why a manifest was rejected; `reason` carries no path (shared with the native twin, e.g. scan reasons). */
export class ManifestRejection extends Error {
  constructor(
    readonly code: 'EBADMANIFEST' | 'ENEWERFORMAT',
    readonly reason: string,
  ) {
    super(reason);
  }
}

function bad(reason: string): never {
  throw new ManifestRejection('EBADMANIFEST', `manifest.json: ${reason}`);
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function getStr(obj: Record<string, unknown>, key: string, at: string): string {
  const v = obj[key];
  if (typeof v !== 'string') bad(`${at}"${key}" must be a string`);
  return v as string;
}

/** A non-negative safe integer (`1.0` counts). */
function safeUint(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;
}

/**
 * Parses and checks manifest bytes. Throws {@link ManifestRejection} (EBADMANIFEST: unparsable or wrong
 * shape, or a format-2 manifest whose own checksum fails; ENEWERFORMAT: formatVersion > 2). Returns a normalized manifest (documented keys only, in order).
 */
export function parseManifest(bytes: Uint8Array): Manifest {
  let raw: unknown;
  try {
    raw = JSON.parse(utf8.decode(bytes));
  } catch {
    return bad('invalid JSON');
  }
  if (!isObject(raw)) return bad('not a JSON object');
  if (raw.format !== FORMAT) return bad(`"format" must be "${FORMAT}"`);
  const version = raw.formatVersion;
  if (typeof version !== 'number') return bad('"formatVersion" must be a number');
  if (version > FORMAT_VERSION) {
    throw new ManifestRejection('ENEWERFORMAT', `format version ${version} is newer than ${FORMAT_VERSION}`);
  }
  const formatVersion = safeUint(version);
  if (formatVersion === undefined) return bad('"formatVersion" must be a non-negative integer');
  const manifestXxh3 = checkOwnChecksum(bytes, raw, formatVersion);
  const lib = raw.library;
  if (!isObject(lib)) return bad('"library" must be an object');
  const library = { name: getStr(lib, 'name', 'library.'), version: getStr(lib, 'version', 'library.') };
  const createdAtNs = getStr(raw, 'createdAtNs', '');
  if (!DECIMAL.test(createdAtNs)) return bad('"createdAtNs" must be a decimal string');
  let seq: number | undefined;
  if (formatVersion >= 2) {
    seq = safeUint(raw.seq);
    if (seq === undefined) return bad('"seq" must be a non-negative integer');
  }
  const comps = raw.components;
  if (!Array.isArray(comps)) return bad('"components" must be an array');
  const components = comps.map((c: unknown, i: number) =>
    typeof c === 'string' ? c : bad(`components[${i}] must be a string`),
  );
  if (!Array.isArray(raw.files)) return bad('"files" must be an array');
  const seen = new Set<string>();
  const files: ManifestFile[] = raw.files.map((f: unknown, i: number): ManifestFile => {
    if (!isObject(f)) return bad(`files[${i}] must be an object`);
    const at = `files[${i}].`;
    const path = getStr(f, 'path', at);
    if (!isSafeRelativePath(path)) return bad(`files[${i}].path ${JSON.stringify(path)} is not a valid relative path`);
    if (seen.has(path)) return bad(`files[${i}].path ${JSON.stringify(path)} is listed twice`);
    seen.add(path);
    const size = safeUint(f.size);
    if (size === undefined) return bad(`files[${i}].size must be a non-negative integer`);
    const xxh3 = getStr(f, 'xxh3', at);
    if (!HEX16.test(xxh3)) return bad(`files[${i}].xxh3 must be 16 lowercase hex digits`);
    return { path, size, xxh3 };
  });
  const out: Manifest =
    seq === undefined
      ? { format: FORMAT, formatVersion, library, createdAtNs, components, files }
      : { format: FORMAT, formatVersion, library, createdAtNs, seq, components, files };
  if (manifestXxh3 !== undefined) out.manifestXxh3 = manifestXxh3;
  return out;
}

/** Why {@link readManifestBytes} read nothing. */
export type ManifestReadResult = { bytes: Uint8Array } | { missing: true } | { refused: string };

/**
 * Reads `<dir>/manifest.json` safely: only a regular file (no symlink, FIFO or device; never blocks),
 * at most {@link MAX_MANIFEST_BYTES} bytes. `refused` is the reason (the native twin's text). Other OS
 * errors are thrown as they are.
 */
export async function readManifestBytes(dir: string): Promise<ManifestReadResult> {
  const opened = await openRegular(join(dir, MANIFEST_NAME));
  if ('refused' in opened) {
    return opened.refused === 'missing' ? { missing: true } : { refused: 'manifest.json: not a regular file' };
  }
  const { fh, size } = opened;
  const tooLarge = { refused: `manifest.json: larger than ${MAX_MANIFEST_BYTES} bytes` };
  try {
    if (size > MAX_MANIFEST_BYTES) return tooLarge;
    let buf = new Uint8Array(size + 1);
    let len = 0;
    for (;;) {
      if (len === buf.length) {
        // It grew while being read: read on, up to one byte past the limit.
        const bigger = new Uint8Array(Math.min(buf.length * 2, MAX_MANIFEST_BYTES + 1));
        bigger.set(buf);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, len, buf.length - len, null);
      if (bytesRead === 0) break;
      len += bytesRead;
      if (len > MAX_MANIFEST_BYTES) return tooLarge;
    }
    return { bytes: buf.subarray(0, len) };
  } finally {
    await fh.close().catch(() => undefined);
  }
}
