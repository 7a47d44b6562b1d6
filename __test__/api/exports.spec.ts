/**
 * The public API at run time: package.json's `exports` (every entry point with its types, mapped to the
 * source file `surface.ts` type-checks), and the exact value names of the root and of every subpath.
 * Adding or removing an export is a deliberate change: it changes a list below.
 */
import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, string | { types: string; default: string }>;
};

/** Entry point → its value exports, sorted (type-only exports are pinned by surface.ts). */
const expected: Record<string, string[]> = {
  '.': [
    'Actuator',
    'ActuatorWrapper',
    'ActuatorsDict',
    'Agent',
    'DataBuffer',
    'DataCollector',
    'DataUser',
    'DictRandomReplacementBuffer',
    'DictSequentialBuffer',
    'Environment',
    'EnvironmentWrapper',
    'FixedIntervalInteraction',
    'InferenceModel',
    'Interaction',
    'IntervalAdjustor',
    'KeyError',
    'LambdaWrapper',
    'LatestStatesKeeper',
    'LaunchConfigError',
    'LinearInferenceModel',
    'LinearModel',
    'ModularEnvironment',
    'PeriodicSaveCondition',
    'RandomReplacementBuffer',
    'SaveError',
    'Sensor',
    'SensorWrapper',
    'SensorsDict',
    'SequentialBuffer',
    'SerializationError',
    'SleepIntervalAdjustor',
    'StateCorruptError',
    'StateError',
    'StateNotDurableError',
    'StateNotFoundError',
    'StateStore',
    'StatesDirLockedError',
    'StatesKeeper',
    'Trainer',
    'TrainingModel',
    'VERSION',
    'WorkerDiedError',
    'Wrapper',
    'defineTraining',
    'latestState',
    'launch',
    'readMsgpack',
    'stageMsgpack',
  ],
  './interaction': [
    'Actuator',
    'ActuatorWrapper',
    'ActuatorsDict',
    'Agent',
    'Environment',
    'EnvironmentWrapper',
    'FixedIntervalInteraction',
    'Interaction',
    'InteractionComponent',
    'IntervalAdjustor',
    'LambdaWrapper',
    'ModularEnvironment',
    'Sensor',
    'SensorWrapper',
    'SensorsDict',
    'SleepIntervalAdjustor',
    'Wrapper',
    'toWrapper',
  ],
  './data': [
    'BufferStateMismatchError',
    'DataBuffer',
    'DataCollector',
    'DataCollectorsDict',
    'DataUser',
    'DataUsersDict',
    'DictRandomReplacementBuffer',
    'DictSequentialBuffer',
    'KeyError',
    'RandomReplacementBuffer',
    'SequentialBuffer',
  ],
  './model': [
    'InferenceModel',
    'InferenceModelsDict',
    'LinearInferenceModel',
    'LinearModel',
    'TrainingModel',
    'TrainingModelsDict',
  ],
  './trainer': ['Trainer', 'TrainersDict'],
  './state': [
    'DEFAULT_STATE_NAME_FORMAT',
    'DEFAULT_STATE_NAME_PATTERN',
    'LatestStatesKeeper',
    'PeriodicSaveCondition',
    'SaveError',
    'SerializationError',
    'StateCorruptError',
    'StateError',
    'StateMismatchError',
    'StateNotDurableError',
    'StateNotFoundError',
    'StateStore',
    'StatesDirLockedError',
    'StatesKeeper',
    'isPersistentState',
    'latestState',
    'readMsgpack',
    'readStateFile',
    'restore',
    'scanStates',
    'snapshot',
    'stageFile',
    'stageMsgpack',
    'statePhases',
  ],
  './launch': [
    'LaunchConfigError',
    'TrainingModuleError',
    'WorkerDiedError',
    'WorkerError',
    'defineTraining',
    'launch',
    'wireSystem',
  ],
  './time': [
    'FakeClock',
    'TimeController',
    'fixedPerfCounter',
    'fixedSleep',
    'fixedTime',
    'getGlobalTimeController',
    'getTimeScale',
    'isPaused',
    'monotonic',
    'pause',
    'perfCounter',
    'resume',
    'setGlobalTimeController',
    'setTimeScale',
    'sleep',
    'time',
  ],
  './engine': ['EngineError', 'backend', 'engine'],
  './ops': ['SystemStatus', 'WebApiClient', 'parseApiAddress', 'startOperations', 'statusName'],
  './log': [
    'captureLogs',
    'getLogFormat',
    'getLogLevel',
    'getLogger',
    'setLogDestination',
    'setLogFormat',
    'setLogLevel',
    'useLogger',
  ],
  './random': ['RandomSource', 'entropySeed', 'globalRandom', 'seedGlobalRandom'],
  './remote': [
    'RemoteError',
    'RemoteStateCorruptError',
    'RemoteStateNotFoundError',
    'RemoteStore',
    'RemoteSync',
    'checkRemoteConfig',
    'createS3Client',
    'describeRemoteError',
    'resolveRemoteConfig',
  ],
  './tfjs': [
    'TfjsInferenceModel',
    'TfjsModel',
    'TfjsTrainer',
    'captureOptimizer',
    'loadOptimizer',
    'readTensorFile',
    'saveOptimizer',
    'stageTensorFile',
  ],
};

/** The source file an `exports` target is built from: ./dist/x/index.js → src/x/index.ts. */
function sourceOf(target: string): string {
  const m = /^\.\/dist\/(.+)\.js$/.exec(target);
  if (!m) throw new Error(`exports target ${target} is not a .js file under ./dist/`);
  return join(root, 'src', `${m[1]}.ts`);
}

test('package.json exports the root, the subpaths and ./package.json, each entry with its types', (t) => {
  t.deepEqual(Object.keys(pkg.exports).sort(), [...Object.keys(expected), './package.json'].sort());
  t.is(pkg.exports['./package.json'], './package.json');
  for (const [name, entry] of Object.entries(pkg.exports)) {
    if (name === './package.json') continue;
    if (typeof entry === 'string') {
      t.fail(`${name} has no types condition`);
      continue;
    }
    t.deepEqual(Object.keys(entry), ['types', 'default'], `${name}: types first, then default`);
    t.is(entry.types, entry.default.replace(/\.js$/, '.d.ts'), `${name}: the declarations beside the module`);
    t.true(existsSync(sourceOf(entry.default)), `${name}: ${sourceOf(entry.default)} exists`);
  }
});

for (const [name, names] of Object.entries(expected)) {
  test(`${name === '.' ? 'pamiq-core' : `pamiq-core/${name.slice(2)}`} exports exactly its listed values`, async (t) => {
    const entry = pkg.exports[name];
    if (typeof entry !== 'object') return t.fail(`${name} is not in package.json exports`);
    const mod = (await import(pathToFileURL(sourceOf(entry.default)).href)) as Record<string, unknown>;
    t.deepEqual(Object.keys(mod).sort(), [...names].sort());
    for (const n of names) t.not(mod[n], undefined, `${name}: ${n} is defined`);
  });
}

test('the root and the subpaths hand out the same objects', async (t) => {
  const load = (name: string) => {
    const entry = pkg.exports[name] as { default: string };
    return import(pathToFileURL(sourceOf(entry.default)).href) as Promise<Record<string, unknown>>;
  };
  const top = await load('.');
  for (const sub of ['./interaction', './data', './model', './trainer', './state', './launch']) {
    const mod = await load(sub);
    for (const n of Object.keys(mod)) if (n in top) t.is(top[n], mod[n], `${n} from ${sub}`);
  }
});
