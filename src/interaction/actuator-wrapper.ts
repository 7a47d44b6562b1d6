import { Actuator } from './actuator.js';
import { forward, loadParts, saveParts } from './component.js';
import { toWrapper, type Wrapper, type WrapperLike } from './wrapper.js';

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
