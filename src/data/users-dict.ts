import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PersistentState } from '../persistence/persistent.js';
import type { DataBuffer } from './buffer.js';
import { DataCollectorsDict } from './collectors-dict.js';
import { DataUser } from './user.js';
import { namedEntries, type Named } from './named.js';

/**
 * The data users by name, as trainers see them. Adding a user also registers its collector in
 * {@link dataCollectorsDict} under the same name (the agents' view of the same streams).
 * State: `path/<name>/` per user.
 */
export class DataUsersDict extends Map<string, DataUser<any, any>> implements PersistentState {
  readonly dataCollectorsDict = new DataCollectorsDict();

  constructor(users?: Named<DataUser<any, any>>) {
    super();
    for (const [name, user] of namedEntries(users)) this.set(name, user);
  }

  /** One DataUser per buffer. */
  static fromDataBuffers(buffers?: Named<DataBuffer<any, any>>): DataUsersDict {
    const dict = new DataUsersDict();
    for (const [name, buffer] of namedEntries(buffers)) dict.set(name, new DataUser(buffer));
    return dict;
  }

  override set(name: string, user: DataUser<any, any>): this {
    super.set(name, user);
    // The dict is reached through `this` only after construction; Map's constructor never calls set.
    this.dataCollectorsDict.set(name, user.collector);
    user.collector.name ??= name;
    return this;
  }

  override delete(name: string): boolean {
    this.dataCollectorsDict.delete(name);
    return super.delete(name);
  }

  async saveState(path: string): Promise<void> {
    mkdirSync(path, { recursive: true });
    for (const [name, user] of this) await user.saveState(join(path, name));
  }

  async loadState(path: string): Promise<void> {
    for (const [name, user] of this) await user.loadState(join(path, name));
  }
}
