/**
 * Builds a list of segments: small pieces are copied into shared chunks (few, large writes), big views are
 * referenced as they are (zero-copy). Tracks the absolute file offset.
 */
import type { Segment } from '../backend/types.js';

/** Views at least this big are referenced, not copied. */
export const ZERO_COPY_MIN = 64 * 1024;
const CHUNK = 256 * 1024;

export class SegmentBuilder {
  readonly segments: Segment[] = [];
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
  }

  /** Ends the current run of copied bytes (the chunk's remainder stays usable). */
  private flush(): void {
    if (this.used > this.start) {
      this.segments.push(this.chunk.subarray(this.start, this.used));
      this.start = this.used;
    }
  }

  /** The segments, in order. */
  finish(): Segment[] {
    this.flush();
    return this.segments;
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
