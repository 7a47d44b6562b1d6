/**
 * `pamiq-core/data`: buffers, the collectors an agent fills and the users a trainer reads.
 */
export { KeyError } from './key-error.js';
export { DataBuffer } from './buffer.js';
export { DataCollector, type CollectedBatch } from './collector.js';
export { DataCollectorsDict } from './collectors-dict.js';
export { DataUser } from './user.js';
export { DataUsersDict } from './users-dict.js';
export type { Named } from './named.js';
export { BufferStateMismatchError } from './buffer-state.js';
export { SequentialBuffer, type SequentialBufferOptions } from './sequential-buffer.js';
export { RandomReplacementBuffer, type RandomReplacementOptions } from './random-replacement-buffer.js';
export { DictSequentialBuffer } from './dict-sequential-buffer.js';
export { DictRandomReplacementBuffer } from './dict-random-replacement-buffer.js';
