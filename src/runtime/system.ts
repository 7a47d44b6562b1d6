/**
 * A wired system as launch() runs it, in either threading mode:
 * - `'worker'`: the trainers, their training models and the buffers live in a training worker
 *   (host.ts); the main thread keeps the interaction, the inference models, the data collectors,
 *   the clock and the StateStore, whose components for models, data and trainers are proxies that
 *   capture, write and load in the worker (parts.ts).
 * - `'main'`: everything on the main thread, the loops taking turns on its event loop.
 * A state has the same tree in both modes, so either loads what the other saved.
 */
import { DataCollector } from '../data/collector.js';
import { DataCollectorsDict } from '../data/collectors-dict.js';
import { namedEntries } from '../data/named.js';
import type { Interaction } from '../interaction/interaction.js';
import { EventLoopRunner, type LoopRunner } from '../launch/loop.js';
import { wireSystem, type SystemComponents } from '../launch/wiring.js';
import { InferenceModelsDict } from '../model/inference-models-dict.js';
import type { TrainingModel } from '../model/training-model.js';
import { TrainingModelsDict } from '../model/training-models-dict.js';
import { StateStore, type StateStoreOptions } from '../state/store.js';
import { getGlobalTimeController } from '../time/index.js';
import { importTraining, TrainingModuleError, type TrainingDefinition } from './definition.js';
import { TrainingWorker, type WorkerDiedError } from './host.js';
import { ParameterReader } from './params.js';
import { MainModelsPart, RandomPart, WorkerPart } from './parts.js';
import type { TrainingStats } from './protocol.js';
import { packBatch } from './records.js';
import { trainingBody, trainingStatsOf } from './training-body.js';

export type Threading = 'worker' | 'main';

export type TrainingRunListener = (trainer: string, seconds: number, bufferSizes: [string, number][]) => void;

export interface RunningSystem {
  readonly threading: Threading;
  readonly store: StateStore;
  /** The training loop: in the worker, or on the main thread. */
  readonly training: LoopRunner;
  /** Before each agent step: picks up parameters the worker published. */
  beforeStep(): void;
  /** After each agent step: sends what was collected to the worker. */
  afterStep(): void;
  /** Training statistics (runs per trainer). */
  trainingStats(): TrainingStats;
  /** Calls `listener` after every training run, with the buffers' sizes (name, items) at that moment. */
  onTrainingRun(listener: TrainingRunListener): void;
  /** Set when a final save must not be made (the worker died with its components). */
  readonly finalSaveBlocked: WorkerDiedError | undefined;
  /** Ends the worker (after the final save). */
  close(): Promise<void>;
}

/** Builds the components of a definition in this thread (main mode). */
export async function buildTraining(
  def: TrainingDefinition,
  options: unknown,
): Promise<Omit<SystemComponents, 'interaction'>> {
  return {
    models: await def.models?.(options),
    buffers: await def.buffers?.(options),
    trainers: await def.trainers?.(options),
  };
}

/** Everything on the main thread: wireSystem and an event-loop training loop. */
export function mainSystem(components: SystemComponents, storeOptions: StateStoreOptions): RunningSystem {
  const { trainers, store, dataUsers } = wireSystem(components, storeOptions);
  let listener: TrainingRunListener = () => undefined;
  const body = trainingBody(trainers, (name, seconds) =>
    listener(
      name,
      seconds,
      [...dataUsers].map(([b, user]) => [b, user.length]),
    ),
  );
  return {
    threading: 'main',
    store,
    training: new EventLoopRunner('training', body),
    beforeStep() {},
    afterStep() {},
    trainingStats: () => trainingStatsOf(trainers, body.counts),
    onTrainingRun(l) {
      listener = l;
    },
    finalSaveBlocked: undefined,
    async close() {},
  };
}

export interface WorkerSystemOptions {
  interaction: Interaction<any, any>;
  module: string;
  options: unknown;
  storeOptions: StateStoreOptions;
  statsInterval: number;
  nice: number;
}

/**
 * Starts the training worker and wires the main thread's side.
 * @throws TrainingModuleError for a module that cannot be imported or whose factories fail, or a
 *   model that cannot run in a worker; the worker is ended before it throws.
 */
export async function workerSystem(opts: WorkerSystemOptions): Promise<RunningSystem> {
  const def = await importTraining(opts.module);
  const worker = await TrainingWorker.start({
    module: opts.module,
    options: opts.options,
    statsInterval: opts.statsInterval,
    nice: opts.nice,
  });
  try {
    return await wireMain(opts, def, worker);
  } catch (err) {
    await worker.close();
    throw err;
  }
}

async function wireMain(
  opts: WorkerSystemOptions,
  def: TrainingDefinition,
  worker: TrainingWorker,
): Promise<RunningSystem> {
  const models = new Map(namedEntries(await def.models?.(opts.options))) as Map<string, TrainingModel<any>>;
  const inferenceModels = new InferenceModelsDict();
  const mainOwned = new TrainingModelsDict([...models].filter(([, m]) => m.inferenceThreadOnly));
  for (const [name, inference] of mainOwned.inferenceModelsDict) inferenceModels.set(name, inference);

  const readers: { apply(): void }[] = [];
  for (const info of worker.ready.models) {
    const model = models.get(info.name);
    if (model === undefined || !model.hasInferenceModel) {
      throw new TrainingModuleError(
        `The training module built model '${info.name}' differently in the two threads: its models() factory ` +
          'must return the same models every time it is called',
      );
    }
    const inference = model.inferenceModel;
    const reader = new ParameterReader(info.buffer, info.layout);
    inferenceModels.set(info.name, inference);
    readers.push({
      apply() {
        const params = reader.takeFresh();
        if (params) model.importParameters!(inference, params);
      },
    });
  }

  const collectors = new DataCollectorsDict();
  for (const [name, maxQueueSize] of worker.ready.buffers) collectors.set(name, new DataCollector(maxQueueSize, name));
  const flush = () => {
    for (const [name, collector] of collectors) {
      if (collector.length === 0) continue;
      const { items, timestamps } = collector.drain();
      const { batch, transfer } = packBatch(items, timestamps);
      try {
        worker.post({ t: 'data', name, batch }, transfer);
      } catch (err) {
        throw new TypeError(
          `Data collector '${name}': collected items cannot be sent to the training worker ` +
            `(${err instanceof Error ? err.message : String(err)}); collect plain data (numbers, strings, ` +
            'typed arrays, plain objects and arrays of them)',
          { cause: err },
        );
      }
    }
  };
  const poll = () => {
    for (const r of readers) r.apply();
  };
  poll();

  opts.interaction.agent.attachInferenceModels(inferenceModels);
  opts.interaction.agent.attachDataCollectors(collectors);

  const store = new StateStore(opts.storeOptions);
  store.register('interaction', opts.interaction);
  store.register('models', new MainModelsPart(mainOwned, new WorkerPart('models', worker, poll)));
  store.register('data', new WorkerPart('data', worker, undefined, flush));
  store.register('trainers', new WorkerPart('trainers', worker));
  store.register('time', getGlobalTimeController());
  store.register('random', new RandomPart(new WorkerPart('random', worker)), { optional: true });

  return {
    threading: 'worker',
    store,
    training: worker.loop,
    beforeStep: poll,
    afterStep: flush,
    trainingStats: () => worker.stats,
    onTrainingRun: (l) => worker.onTrainingRun(l),
    get finalSaveBlocked() {
      return worker.deathError;
    },
    close: () => worker.close(),
  };
}
