import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readMsgpack, stageMsgpack } from '../../src/persistence/component-files.js';
import type { PersistentState } from '../../src/persistence/persistent.js';

/** A component that stages one msgpack file and records every call. */
export class Counter implements PersistentState {
  value = 0;
  saves: string[] = [];
  loads: string[] = [];

  async saveState(path: string) {
    this.saves.push(path);
    await stageMsgpack(join(path, 'value.msgpack'), { value: this.value });
  }

  async loadState(path: string) {
    this.loads.push(path);
    this.value = (await readMsgpack<{ value: number }>(join(path, 'value.msgpack'))).value;
  }
}

/** A component written like PAMIQ-Core's custom agent example: it writes its own text file during the save. */
export class EpisodeStats implements PersistentState {
  episodeCount = 0;
  totalReward = 0;

  saveState(path: string) {
    mkdirSync(path, { recursive: true });
    writeFileSync(
      join(path, 'episode_stats.txt'),
      `episode_count: ${this.episodeCount}\ntotal_reward: ${this.totalReward}\n`,
    );
  }

  loadState(path: string) {
    for (const line of readFileSync(join(path, 'episode_stats.txt'), 'utf8').trim().split('\n')) {
      const [key, value] = line.split(': ');
      if (key === 'episode_count') this.episodeCount = Number(value);
      if (key === 'total_reward') this.totalReward = Number(value);
    }
  }
}

/** Throws from saveState (or loadState) on demand. */
export class Failing implements PersistentState {
  failSave = true;
  failLoad = false;
  loads = 0;
  saveState(path: string) {
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'partial.bin'), 'x');
    if (this.failSave) throw new Error('component exploded while saving');
  }
  loadState() {
    this.loads++;
    if (this.failLoad) throw new Error('component exploded while loading');
  }
}
