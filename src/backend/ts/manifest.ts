/** manifest.json: building, serializing (key order of docs/engine.md) and strict parsing. */
import type { Manifest, ManifestFile } from '../types.js';

export const MANIFEST_NAME = 'manifest.json';
export const FORMAT = 'pamiq-state';
export const FORMAT_VERSION = 1;

/** The manifest JSON text: two-space indentation, no trailing newline. */
export function serializeManifest(m: Manifest): string {
  return JSON.stringify(normalize(m), null, 2);
}

/** A copy with exactly the documented keys, in the documented order. */
function normalize(m: Manifest): Manifest {
  return {
    format: m.format,
    formatVersion: m.formatVersion,
    library: { name: m.library.name, version: m.library.version },
    createdAtNs: m.createdAtNs,
    components: [...m.components],
    files: m.files.map((f): ManifestFile => ({ path: f.path, size: f.size, xxh3: f.xxh3 })),
  };
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
 * shape; ENEWERFORMAT: formatVersion > 1). Returns a normalized manifest (documented keys only, in order).
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
  const lib = raw.library;
  if (!isObject(lib)) return bad('"library" must be an object');
  const library = { name: getStr(lib, 'name', 'library.'), version: getStr(lib, 'version', 'library.') };
  const createdAtNs = getStr(raw, 'createdAtNs', '');
  if (!DECIMAL.test(createdAtNs)) return bad('"createdAtNs" must be a decimal string');
  const comps = raw.components;
  if (!Array.isArray(comps)) return bad('"components" must be an array');
  const components = comps.map((c: unknown, i: number) => (typeof c === 'string' ? c : bad(`components[${i}] must be a string`)));
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
  return { format: FORMAT, formatVersion, library, createdAtNs, components, files };
}
