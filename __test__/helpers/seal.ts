import { xxh3 } from '../../src/backend/ts/hash.js';

/**
 * The text of manifest object `m` as the engine writes it: `JSON.stringify(m, null, 2)`, where a
 * manifest of format 2 or later gets its `manifestXxh3` recomputed over the body and placed last
 * (docs/engine.md). For specs and benches that edit a manifest on purpose and want only their edit to
 * matter.
 */
export function sealManifest(m: object): string {
  const { manifestXxh3: _old, ...body } = m as Record<string, unknown>;
  const text = JSON.stringify(body, null, 2);
  if (typeof body.formatVersion !== 'number' || body.formatVersion < 2) return text;
  return `${text.slice(0, -2)},\n  "manifestXxh3": "${xxh3(Buffer.from(text))}"\n}`;
}
