import test from 'ava';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataCollector, DataCollectorsDict, KeyError } from '../../src/data/index.js';
import { Agent } from '../../src/interaction/index.js';
import { InferenceModel, InferenceModelsDict } from '../../src/model/index.js';
import { tmpDir } from '../helpers/tmp.js';

class Echo extends InferenceModel<[number], number> {
  infer(x: number) {
    return x;
  }
}

class Recorder extends Agent<number, number> {
  events: string[] = [];
  step(obs: number) {
    return obs;
  }
  override onInferenceModelsAttached() {
    this.events.push('models');
  }
  override onDataCollectorsAttached() {
    this.events.push('collectors');
  }
  override setup() {
    this.events.push('setup');
    return super.setup();
  }
  override teardown() {
    this.events.push('teardown');
    return super.teardown();
  }
  override onPaused() {
    this.events.push('paused');
    return super.onPaused();
  }
  override onResumed() {
    this.events.push('resumed');
    return super.onResumed();
  }
  override async saveState(path: string) {
    this.events.push(`save ${path}`);
    await super.saveState(path);
  }
  override async loadState(path: string) {
    this.events.push(`load ${path}`);
    await super.loadState(path);
  }
}

function family() {
  const child = new Recorder();
  const parent = new Recorder({ child });
  return { parent, child };
}

test('models and collectors reach the parent, then its children', (t) => {
  const { parent, child } = family();
  const models = new InferenceModelsDict([['echo', new Echo()]]);
  const collectors = new DataCollectorsDict([
    ['obs', new DataCollector(1)],
    ['act', new DataCollector(1)],
  ]);
  parent.attachInferenceModels(models);
  parent.attachDataCollectors(collectors);
  t.deepEqual(parent.events, ['models', 'collectors']);
  t.deepEqual(child.events, ['models', 'collectors']);
  t.is(child.getInferenceModel<Echo>('echo').infer(4), 4);
  t.true(parent.getDataCollector('obs') === collectors.get('obs'));
  t.true(child.getDataCollector('act') === collectors.get('act'));
});

test('a missing model, or a collector acquired twice, throws KeyError', (t) => {
  const { parent, child } = family();
  parent.attachInferenceModels(new InferenceModelsDict());
  parent.attachDataCollectors(new DataCollectorsDict([['obs', new DataCollector(1)]]));
  t.throws(() => parent.getInferenceModel('nope'), { instanceOf: KeyError });
  parent.getDataCollector('obs');
  t.throws(() => child.getDataCollector('obs'), { instanceOf: KeyError, message: /already acquired/ });
});

test('setup, teardown, pause and resume reach the children', async (t) => {
  const { parent, child } = family();
  await parent.setup();
  await parent.onPaused();
  await parent.onResumed();
  await parent.teardown();
  for (const a of [parent, child]) t.deepEqual(a.events, ['setup', 'paused', 'resumed', 'teardown']);
});

test('an agent saves and loads each child under <path>/<child>', async (t) => {
  const dir = tmpDir(t);
  const { parent, child } = family();
  const path = join(dir, 'agent');
  await parent.saveState(path);
  await parent.loadState(path);
  t.true(existsSync(path));
  t.deepEqual(child.events, [`save ${join(path, 'child')}`, `load ${join(path, 'child')}`]);
});

test('an agent without children creates no directory', async (t) => {
  const dir = tmpDir(t);
  await new Recorder().saveState(join(dir, 'agent'));
  t.false(existsSync(join(dir, 'agent')));
});

/** PAMIQ-Core's custom agent example, in TypeScript. */
class MyCustomAgent extends Agent<number, number> {
  episodeCount = 0;
  totalReward = 0;
  learningRate = 0.01;

  step(observation: number): number {
    return observation > 0 ? 1 : 0;
  }

  override async saveState(path: string): Promise<void> {
    // Always call the parent method first to handle built-in state persistence.
    await super.saveState(path);
    mkdirSync(path, { recursive: true });
    writeFileSync(
      join(path, 'episode_stats.txt'),
      `episode_count: ${this.episodeCount}\ntotal_reward: ${this.totalReward}\nlearning_rate: ${this.learningRate}\n`,
    );
  }

  override async loadState(path: string): Promise<void> {
    await super.loadState(path);
    try {
      for (const line of readFileSync(join(path, 'episode_stats.txt'), 'utf8').trim().split('\n')) {
        const [key, value] = line.split(': ');
        if (key === 'episode_count') this.episodeCount = Number.parseInt(value!, 10);
        else if (key === 'total_reward') this.totalReward = Number(value);
        else if (key === 'learning_rate') this.learningRate = Number(value);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // A state without custom data.
      this.episodeCount = 0;
      this.totalReward = 0;
      this.learningRate = 0.01;
    }
  }
}

test("the guide's custom agent saves episode_stats.txt and loads it back", async (t) => {
  const dir = tmpDir(t);
  const agent = new MyCustomAgent();
  agent.episodeCount = 12;
  agent.totalReward = 3.5;
  agent.learningRate = 0.2;
  await agent.saveState(join(dir, 'agent'));
  t.is(
    readFileSync(join(dir, 'agent', 'episode_stats.txt'), 'utf8'),
    'episode_count: 12\ntotal_reward: 3.5\nlearning_rate: 0.2\n',
  );
  const loaded = new MyCustomAgent();
  await loaded.loadState(join(dir, 'agent'));
  t.deepEqual([loaded.episodeCount, loaded.totalReward, loaded.learningRate], [12, 3.5, 0.2]);
});

test("the guide's custom agent falls back to defaults when the file is missing", async (t) => {
  const dir = tmpDir(t);
  const agent = new MyCustomAgent();
  agent.episodeCount = 5;
  await agent.loadState(join(dir, 'nothing'));
  t.is(agent.episodeCount, 0);
});

test('a custom agent with children can create its directory before calling super', async (t) => {
  const dir = tmpDir(t);
  class Early extends Agent {
    step() {}
    override async saveState(path: string) {
      mkdirSync(path, { recursive: true });
      writeFileSync(join(path, 'mine.txt'), 'x');
      await super.saveState(path);
    }
  }
  const agent = new Early({ child: new Recorder() });
  await t.notThrowsAsync(async () => agent.saveState(join(dir, 'agent')));
  t.true(existsSync(join(dir, 'agent', 'mine.txt')));
});
