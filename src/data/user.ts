import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PersistentState } from '../persistence/persistent.js';
import { readMsgpack, readStateFile, stageFile } from '../persistence/component-files.js';
import { decodeBufferFile, encodeBufferFileBatches } from '../codec/buffer-format.js';
import type { DataBuffer } from './buffer.js';
import { DataCollector } from './collector.js';
import { StampLog, stampSegments } from './stamp-log.js';

/** Kind recorded in `pending.msgpack`, the collector's queue at save time. */
const PENDING_KIND = 'DataCollector';

/**
 * The training side of a data stream: owns a buffer, the collection timestamps of the items added to
 * it and the {@link DataCollector} that feeds it.
 *
 * State files under `path/`: `buffer.msgpack` (the buffer), `timestamps.msgpack` (Float64Array) and
 * `pending.msgpack` (items still queued in the collector, with their timestamps). Unlike the original,
 * saving does not move queued items into the buffer: a save must not change what training sees, so
 * the queue is saved as it is and restored into the collector at load.
 */
export class DataUser<R = unknown, T = unknown> implements PersistentState {
  readonly collector: DataCollector<T>;
  /** The collection timestamps of the items in the buffer, oldest first. */
  private readonly stamps: StampLog;

  constructor(readonly buffer: DataBuffer<T, R>) {
    this.collector = new DataCollector<T>(buffer.maxQueueSize);
    this.stamps = new StampLog(buffer.maxQueueSize);
  }

  /** Moves every queued item into the buffer, keeping its collection timestamp. */
  update(): void {
    const { items, timestamps } = this.collector.drain();
    for (let i = 0; i < items.length; i++) {
      this.buffer.add(items[i]!);
      this.stamps.push(timestamps[i]!);
    }
  }

  /** {@link update}, then the buffer's data. */
  getData(): R {
    this.update();
    return this.buffer.getData();
  }

  /** How many of the items added so far were collected strictly after pamiq time `t`. */
  countDataAddedSince(t: number): number {
    return this.stamps.countAfter(t);
  }

  /** Number of items in the buffer. */
  get length(): number {
    return this.buffer.length;
  }

  saveState(path: string): void | Promise<void> {
    return (async () => {
      mkdirSync(path, { recursive: true });
      // Take every snapshot before the first await, so a save outside a paused capture still sees
      // one consistent moment. Item references only: items are immutable by contract; encoding runs
      // later, in the producers.
      const stamps = this.stamps.snapshot();
      const pending = this.collector.peek();
      const buffer = this.buffer.saveState(join(path, 'buffer'));
      const meta = {
        kind: PENDING_KIND,
        config: { maxQueueSize: this.collector.maxQueueSize ?? null },
        columns: ['items', 'timestamps'],
      };
      await buffer;
      await stageFile(join(path, 'timestamps.msgpack'), () => stampSegments(stamps));
      await stageFile(join(path, 'pending.msgpack'), () =>
        encodeBufferFileBatches(meta, [pending.items, pending.timestamps]),
      );
    })();
  }

  /**
   * Loads the buffer, the timestamps and the queued items.
   * @throws what the buffer's load throws; TypeError when `timestamps.msgpack` is not a list of numbers.
   */
  loadState(path: string): void | Promise<void> {
    return (async () => {
      await this.buffer.loadState(join(path, 'buffer'));
      const raw = await readMsgpack<unknown>(join(path, 'timestamps.msgpack'));
      const stamps = toNumbers(raw);
      if (stamps === undefined) throw new TypeError(`${join(path, 'timestamps.msgpack')}: expected a list of numbers`);
      this.stamps.replace(stamps);

      let bytes: Uint8Array;
      try {
        bytes = await readStateFile(join(path, 'pending.msgpack'));
      } catch (e) {
        if ((e as { code?: string }).code === 'ENOENT') return; // saved before the queue was part of the state
        throw e;
      }
      const { meta, columns } = decodeBufferFile(bytes);
      if (meta.kind !== PENDING_KIND || columns.length !== 2) {
        throw new TypeError(`${join(path, 'pending.msgpack')}: not a data collector queue (kind '${meta.kind}')`);
      }
      const queued = toNumbers(columns[1]);
      if (queued === undefined) throw new TypeError(`${join(path, 'pending.msgpack')}: bad timestamps column`);
      this.collector.restore({ items: columns[0] as T[], timestamps: Array.from(queued) });
    })();
  }
}

function toNumbers(raw: unknown): (Iterable<number> & ArrayLike<number>) | undefined {
  if (raw instanceof Float64Array || raw instanceof Float32Array) return raw;
  if (Array.isArray(raw) && raw.every((v) => typeof v === 'number')) return raw as number[];
  return undefined;
}
