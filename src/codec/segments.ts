/**
 * Builds a list of segments: small pieces are copied into shared chunks (few, large writes), big views are
 * referenced as they are (zero-copy). Tracks the absolute file offset.
 */
import type { Segment } from '../backend/types.js';

/**
 * Views at least this big are referenced, not copied: below it the per-segment cost (a view, an iovec,
 * a napi conversion) outweighs a memcpy; above it copying would double the memory a save needs.
 */
export const ZERO_COPY_MIN = 1024;
const CHUNK = 256 * 1024;

/**
 * A batch ends after this many bytes or segments. Encoders yield batch by batch so that a large state
 * is encoded (and its small items copied) a few MiB at a time, interleaved with the writes and the
 * loops, instead of all at once: bounded memory, short event-loop stalls.
 */
export const BATCH_BYTES = 8 * 1024 * 1024;
export const BATCH_SEGMENTS = 4096;

export class SegmentBuilder {
  private segments: Segment[] = [];
  /** Bytes added since the last {@link take}: how much a batch holds. */
  private pending = 0;
  private chunk = new Uint8Array(0);
  private view = new DataView(this.chunk.buffer);
  private start = 0;
  private used = 0;

  constructor(
    /** Absolute offset of the next byte. */
    public offset: number,
  ) {}

  /** Room for `n` more bytes in the current chunk; returns the position to write at. */
  reserve(n: number): number {
    if (this.used + n > this.chunk.length) {
      this.flush();
      this.chunk = new Uint8Array(Math.max(CHUNK, n));
      this.view = new DataView(this.chunk.buffer);
      this.start = 0;
      this.used = 0;
    }
    const at = this.used;
    this.used += n;
    this.offset += n;
    this.pending += n;
    return at;
  }

  u8(b: number): void {
    const at = this.reserve(1); // before reading this.chunk: reserve may start a new chunk
    this.chunk[at] = b;
  }

  u16(v: number): void {
    const at = this.reserve(2);
    this.view.setUint16(at, v);
  }

  u32(v: number): void {
    const at = this.reserve(4);
    this.view.setUint32(at, v);
  }

  i8(v: number): void {
    const at = this.reserve(1);
    this.view.setInt8(at, v);
  }

  zeros(n: number): void {
    const at = this.reserve(n);
    this.chunk.fill(0, at, at + n);
  }

  /** Copies `bytes` (always; for bytes that will not stay valid). */
  copy(bytes: Uint8Array): void {
    if (bytes.length >= CHUNK) {
      this.flush();
      this.segments.push(bytes.slice());
      this.offset += bytes.length;
      this.pending += bytes.length;
      return;
    }
    const at = this.reserve(bytes.length);
    this.chunk.set(bytes, at);
  }

  /** References `bytes` when big, copies them when small. */
  ref(bytes: Uint8Array): void {
    if (bytes.length < ZERO_COPY_MIN) {
      this.copy(bytes);
      return;
    }
    this.flush();
    this.segments.push(bytes);
    this.offset += bytes.length;
    this.pending += bytes.length;
  }

  /** True when the segments gathered since the last {@link take} make a batch worth writing. */
  get full(): boolean {
    return this.pending >= BATCH_BYTES || this.segments.length >= BATCH_SEGMENTS;
  }

  /** The segments gathered since the last take, in order; the builder goes on after them. */
  take(): Segment[] {
    this.flush();
    const out = this.segments;
    this.segments = [];
    this.pending = 0;
    return out;
  }

  /** Ends the current run of copied bytes (the chunk's remainder stays usable). */
  private flush(): void {
    if (this.used > this.start) {
      this.segments.push(this.chunk.subarray(this.start, this.used));
      this.start = this.used;
    }
  }

  /** The remaining segments, in order (same as {@link take}). */
  finish(): Segment[] {
    return this.take();
  }

  /** A msgpack array header. */
  arrayHeader(n: number): void {
    if (n < 16) this.u8(0x90 + n);
    else if (n < 0x10000) {
      this.u8(0xdc);
      this.u16(n);
    } else {
      this.u8(0xdd);
      this.u32(n);
    }
  }
}
