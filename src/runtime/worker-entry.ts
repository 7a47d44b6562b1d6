/**
 * The training worker: imports the training module, builds the trainers, training models and
 * buffers in this thread, and runs the training loop, driven by messages from the main thread
 * (see host.ts). Its clock follows the main thread's; its log records go to the main thread.
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { FileDigest } from '../backend/types.js';
import { namedEntries } from '../data/named.js';
import { DataUsersDict } from '../data/users-dict.js';
import { EventLoopRunner } from '../launch/loop.js';
import { StepTimeStatistics } from '../launch/stats.js';
import { getLogger, setLogLevel, setRawLogSink } from '../log.js';
import { TrainingModelsDict } from '../model/training-models-dict.js';
import { type DeferredWrite, type Producer, withCapture, withLoad, writeCaptured } from '../persistence/capture.js';
import type { PersistentState } from '../persistence/persistent.js';
import { getGlobalTimeController } from '../time/index.js';
import { TrainersDict } from '../trainer/trainers-dict.js';
import { trainingRandomPart } from '../random/component.js';
import { importTraining, TrainingModuleError } from './definition.js';
import { allocateParameters, layoutOf, ParameterWriter } from './params.js';
import type { FromWorker, ModelInfo, Request, ToWorker, WorkerInit } from './protocol.js';
import { serializeError } from './protocol.js';
import { unpackBatch } from './records.js';
import { trainingBody, trainingStatsOf } from './training-body.js';

const port = parentPort!;
const init = (workerData as { init: WorkerInit }).init;
const post = (msg: FromWorker, transfer: import('node:worker_threads').TransferListItem[] = []) =>
  port.postMessage(msg, transfer as never);

setRawLogSink((json) => port.postMessage({ t: 'log', json }));
setLogLevel(init.logLevel);
const clock = getGlobalTimeController();
clock.follow(init.clock);
const log = getLogger('runtime.worker');

// The agent's thread comes first: on Linux this thread (only) runs at a lower CPU priority.
if (process.platform === 'linux' && init.nice !== 0) {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), init.nice);
  } catch (err) {
    log.debug(`Could not lower the training thread's priority: ${String(err)}`);
  }
}

const definition = await importTraining(init.module);
const options = init.options;
const allModels = namedEntries(await definition.models?.(options));
const models = new TrainingModelsDict(
  allModels.filter(([, m]) => !m.inferenceThreadOnly),
  { inference: false },
);
const dataUsers = DataUsersDict.fromDataBuffers(await definition.buffers?.(options));
const trainers = new TrainersDict(await definition.trainers?.(options));
trainers.attachTrainingModels(models);
trainers.attachDataUsers(dataUsers);

const components: Record<string, PersistentState> = { models, data: dataUsers, trainers, random: trainingRandomPart };

// Each model with an inference model publishes its parameters through a triple buffer.
const modelInfos: ModelInfo[] = [];
for (const [name, model] of models) {
  if (!model.hasInferenceModel) continue;
  if (typeof model.exportParameters !== 'function' || typeof model.importParameters !== 'function') {
    throw new TrainingModuleError(
      `Model '${name}' (${model.constructor.name}) cannot be trained in a worker thread: it must implement ` +
        `exportParameters() and importParameters() so its inference model on the main thread can be updated ` +
        `(see "Your own model" in the README), or launch with config.threading = 'main'.`,
    );
  }
  const params = model.exportParameters();
  const layout = layoutOf(name, params);
  const writer = new ParameterWriter(name, allocateParameters(layout), layout);
  writer.publish(params);
  model.setParameterPublisher(() => writer.publish(model.exportParameters!()));
  modelInfos.push({ name, layout, buffer: writer.buffer });
}

const body = trainingBody(trainers, (name, seconds) =>
  post({ t: 'run', name, seconds, buffers: [...dataUsers].map(([b, user]) => [b, user.length]) }),
);
const stats = new StepTimeStatistics(init.statsInterval, getLogger('launch.training'));
const loop = new EventLoopRunner('training', {
  step: async () => {
    const result = await body.step();
    stats.record();
    return result;
  },
  onPaused: async () => {
    await body.onPaused?.();
    post({ t: 'paused', epoch });
  },
  onResumed: async () => {
    await body.onResumed?.();
    post({ t: 'resumed', epoch });
  },
});

setInterval(() => post({ t: 'stats', stats: trainingStatsOf(trainers, body.counts) }), 1000).unref();

/** What the capture of one save staged and deferred here (keyed by its temporary directory). */
let session: { root: string; staged: Map<string, Producer>; deferred: DeferredWrite[] } | undefined;

function component(name: string): PersistentState {
  const c = components[name];
  if (!c) throw new Error(`The training worker has no component '${name}'`);
  return c;
}

async function serve(req: Request): Promise<Record<string, FileDigest> | undefined> {
  switch (req.op) {
    case 'capture': {
      if (session?.root !== req.root) session = { root: req.root, staged: new Map(), deferred: [] };
      const [, staged, deferred] = await withCapture(req.root, async () => {
        await component(req.component).saveState(req.path);
      });
      for (const [k, v] of staged) session.staged.set(k, v);
      session.deferred.push(...deferred);
      return undefined;
    }
    case 'write': {
      if (session?.root !== req.root) return {};
      const { staged, deferred } = session;
      session = undefined;
      const wrapped = (what: string, err: unknown) =>
        new Error(`${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      return writeCaptured(req.root, staged, deferred, {
        file: (rel, err) => wrapped(`Writing '${rel}'`, err),
        snapshot: (err) => wrapped('A directory snapshot', err),
      });
    }
    case 'discard':
      if (session?.root === req.root) session = undefined;
      return undefined;
    case 'load':
      await withLoad(req.path, new Map(req.files), async () => {
        await component(req.component).loadState(req.path);
      });
      return undefined;
    case 'close':
      loop.stop();
      await loop.done.catch(() => undefined);
      setImmediate(() => port.close());
      return undefined;
  }
}

let started = false;
/** The epoch of the newest pause or resume request (see host.ts). */
let epoch = 0;
port.on('message', (msg: ToWorker) => {
  switch (msg.t) {
    case 'clock':
      clock.follow(msg.view);
      return;
    case 'data': {
      const user = dataUsers.get(msg.name);
      if (!user) {
        log.error(`Data for unknown buffer '${msg.name}' dropped (${msg.batch.timestamps.length} items)`);
        return;
      }
      user.collector.receive(unpackBatch(msg.batch), msg.batch.timestamps);
      return;
    }
    case 'start':
      if (started) return;
      started = true;
      loop.start();
      loop.done.then(
        () => post({ t: 'loop-exit' }),
        (err) => post({ t: 'loop-exit', error: serializeError(err) }),
      );
      return;
    case 'pause':
      epoch = msg.epoch;
      loop.requestPause();
      if (loop.paused) post({ t: 'paused', epoch });
      return;
    case 'resume':
      epoch = msg.epoch;
      loop.resume();
      return;
    case 'stop':
      loop.stop();
      return;
    case 'rpc':
      serve(msg).then(
        (value) => post({ t: 'reply', id: msg.id, ok: true, value }),
        (err) => post({ t: 'reply', id: msg.id, ok: false, error: serializeError(err) }),
      );
      return;
  }
});

post({
  t: 'ready',
  models: modelInfos,
  buffers: [...dataUsers].map(([name, user]) => [name, user.collector.maxQueueSize]),
  trainers: [...trainers.keys()],
});
