/**
 * Wrappers: transforms on the way between the environment and the agent, and the sensor and actuator
 * that read and act through one. They share one module because each needs the others: a
 * {@link Wrapper} builds a {@link SensorWrapper} or {@link ActuatorWrapper}, and those turn a plain
 * function into a {@link LambdaWrapper}.
 */
import { Actuator } from './actuator.js';
import { forward, InteractionComponent, loadParts, saveParts } from './component.js';
import { Sensor } from './sensor.js';

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

/** Reads a sensor through a wrapper. Events go to the sensor, then the wrapper. State: `sensor/`, `wrapper/`. */
export class SensorWrapper<T = any, W = any> extends Sensor<W> {
  readonly wrapper: Wrapper<T, W>;

  constructor(
    readonly sensor: Sensor<T>,
    wrapper: WrapperLike<T, W>,
  ) {
    super();
    this.wrapper = toWrapper(wrapper);
  }

  read(): W | Promise<W> {
    return (async () => {
      return this.wrapper.wrap(await this.sensor.read());
    })();
  }

  private parts(): [string, Sensor<T> | Wrapper<T, W>][] {
    return [
      ['sensor', this.sensor],
      ['wrapper', this.wrapper],
    ];
  }

  override setup(): void | Promise<void> {
    return forward([this.sensor, this.wrapper], 'setup');
  }

  override teardown(): void | Promise<void> {
    return forward([this.sensor, this.wrapper], 'teardown');
  }

  override onPaused(): void | Promise<void> {
    return forward([this.sensor, this.wrapper], 'onPaused');
  }

  override onResumed(): void | Promise<void> {
    return forward([this.sensor, this.wrapper], 'onResumed');
  }

  override saveState(path: string): void | Promise<void> {
    return saveParts(path, this.parts());
  }

  override loadState(path: string): void | Promise<void> {
    return loadParts(path, this.parts());
  }
}

/**
 * Passes actions through a wrapper before an actuator. Events go to the actuator, then the wrapper.
 * State: `actuator/`, `wrapper/`.
 */
export class ActuatorWrapper<T = any, W = any> extends Actuator<T> {
  readonly wrapper: Wrapper<T, W>;

  constructor(
    readonly actuator: Actuator<W>,
    wrapper: WrapperLike<T, W>,
  ) {
    super();
    this.wrapper = toWrapper(wrapper);
  }

  operate(action: T): void | Promise<void> {
    return (async () => {
      await this.actuator.operate(await this.wrapper.wrap(action));
    })();
  }

  private parts(): [string, Actuator<W> | Wrapper<T, W>][] {
    return [
      ['actuator', this.actuator],
      ['wrapper', this.wrapper],
    ];
  }

  override setup(): void | Promise<void> {
    return forward([this.actuator, this.wrapper], 'setup');
  }

  override teardown(): void | Promise<void> {
    return forward([this.actuator, this.wrapper], 'teardown');
  }

  override onPaused(): void | Promise<void> {
    return forward([this.actuator, this.wrapper], 'onPaused');
  }

  override onResumed(): void | Promise<void> {
    return forward([this.actuator, this.wrapper], 'onResumed');
  }

  override saveState(path: string): void | Promise<void> {
    return saveParts(path, this.parts());
  }

  override loadState(path: string): void | Promise<void> {
    return loadParts(path, this.parts());
  }
}
