import type { Segment } from '../../src/backend/types.js';

/** The segments as one byte array. */
export function concat(segments: readonly Segment[]): Uint8Array {
  const size = segments.reduce((s, x) => s + x.byteLength, 0);
  const out = new Uint8Array(size);
  let pos = 0;
  for (const s of segments) {
    out.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), pos);
    pos += s.byteLength;
  }
  return out;
}
