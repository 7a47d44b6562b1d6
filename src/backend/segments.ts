/**
 * Segment checks shared by both backends' writers: a segment that is a view of a detached (transferred)
 * ArrayBuffer cannot be written; an append that meets one fails with EINVAL naming it.
 */
import type { Segment } from './types.js';
import { EngineError } from './types.js';

/** A Uint8Array view of any ArrayBufferView (zero-copy). */
function asU8(view: ArrayBufferView): Uint8Array {
  return view instanceof Uint8Array && view.constructor === Uint8Array
    ? view
    : new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/** Whether `buf` is a detached ArrayBuffer (transferred away). */
export function isDetached(buf: ArrayBufferLike): boolean {
  if (buf.byteLength > 0 || !(buf instanceof ArrayBuffer)) return false;
  try {
    new Uint8Array(buf, 0, 0);
    return false;
  } catch {
    return true;
  }
}

export function detachedError(path: string, index: number): EngineError {
  return new EngineError(
    'EINVAL',
    `write '${path}': segment ${index} is a view of a detached ArrayBuffer (transferred during the save); ` +
      'nothing of it can be written',
  );
}

/**
 * Uint8Array views of the segments. Throws EINVAL naming the segment when one is a view of a detached
 * ArrayBuffer (shared by both backends' writers).
 */
export function checkSegments(segments: Segment[], path: string): Uint8Array[] {
  return segments.map((seg, i) => {
    if (seg.byteLength === 0 && isDetached(seg.buffer)) throw detachedError(path, i);
    return asU8(seg);
  });
}
