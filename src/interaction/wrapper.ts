import type { Actuator } from './actuator.js';
import { ActuatorWrapper } from './actuator-wrapper.js';
import { InteractionComponent } from './component.js';
import type { Sensor } from './sensor.js';
import { SensorWrapper } from './sensor-wrapper.js';

/**
 * Transforms values on their way between the environment and the agent (observations in, actions
 * out). A wrapper has the lifecycle and persistence of any interaction part.
 */
export abstract class Wrapper<T = any, W = any> extends InteractionComponent {
  abstract wrap(value: T): W | Promise<W>;

  /** A sensor that reads `sensor` through this wrapper. */
  wrapSensor(sensor: Sensor<T>): SensorWrapper<T, W> {
    return new SensorWrapper(sensor, this);
  }

  /** An actuator that passes actions through this wrapper before `actuator`. */
  wrapActuator(actuator: Actuator<W>): ActuatorWrapper<T, W> {
    return new ActuatorWrapper(actuator, this);
  }
}

/** A wrapper around a plain function. */
export class LambdaWrapper<T = any, W = any> extends Wrapper<T, W> {
  constructor(readonly func: (value: T) => W | Promise<W>) {
    super();
  }

  wrap(value: T): W | Promise<W> {
    return this.func(value);
  }
}

/** A wrapper, or a plain function (wrapped in a {@link LambdaWrapper}). */
export type WrapperLike<T, W> = Wrapper<T, W> | ((value: T) => W | Promise<W>);

export function toWrapper<T, W>(wrapper: WrapperLike<T, W>): Wrapper<T, W> {
  return typeof wrapper === 'function' ? new LambdaWrapper(wrapper) : wrapper;
}
