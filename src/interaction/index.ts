export {
  InteractionComponent,
  type InteractionEvents,
  type ThreadEvents,
} from './component.js';
export { Agent } from './agent.js';
export { Environment } from './environment.js';
export { Interaction } from './interaction.js';
export { IntervalAdjustor, SleepIntervalAdjustor } from './interval-adjustor.js';
export { FixedIntervalInteraction } from './fixed-interval-interaction.js';
export { Sensor } from './sensor.js';
export { Actuator } from './actuator.js';
export { SensorsDict } from './sensors-dict.js';
export { ActuatorsDict } from './actuators-dict.js';
export { ModularEnvironment } from './modular-environment.js';
export { Wrapper, LambdaWrapper, toWrapper, type WrapperLike } from './wrapper.js';
export { SensorWrapper } from './wrapper.js';
export { ActuatorWrapper } from './wrapper.js';
export { EnvironmentWrapper } from './environment-wrapper.js';
