import { forward, loadParts, saveParts } from './component.js';
import { Sensor } from './sensor.js';
import { toWrapper, type Wrapper, type WrapperLike } from './wrapper.js';

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
