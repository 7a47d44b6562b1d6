import { KeyError } from '../data/key-error.js';
import { namedEntries, type Named } from '../data/named.js';
import { Actuator } from './actuator.js';
import { forward, loadParts, saveParts } from './component.js';

/**
 * Several named actuators operated as one: {@link operate} takes `{ name: action }`. Lifecycle events
 * go to each actuator in insertion order. State: `path/<name>` per actuator.
 */
export class ActuatorsDict extends Actuator<Record<string, any>> {
  readonly actuators: Map<string, Actuator<any>>;

  constructor(actuators?: Named<Actuator<any>>) {
    super();
    this.actuators = new Map(namedEntries(actuators));
  }

  /**
   * Gives each actuator its action; keys without an actuator are ignored.
   * @throws KeyError, before operating any actuator, when an actuator's action is missing.
   */
  operate(actions: Record<string, any>): void | Promise<void> {
    return (async () => {
      for (const name of this.actuators.keys()) {
        if (!Object.hasOwn(actions, name)) throw new KeyError(`No action for actuator '${name}'.`, name);
      }
      for (const [name, actuator] of this.actuators) await actuator.operate(actions[name]);
    })();
  }

  override setup(): void | Promise<void> {
    return forward(this.actuators.values(), 'setup');
  }

  override teardown(): void | Promise<void> {
    return forward(this.actuators.values(), 'teardown');
  }

  override onPaused(): void | Promise<void> {
    return forward(this.actuators.values(), 'onPaused');
  }

  override onResumed(): void | Promise<void> {
    return forward(this.actuators.values(), 'onResumed');
  }

  override saveState(path: string): void | Promise<void> {
    return saveParts(path, this.actuators);
  }

  override loadState(path: string): void | Promise<void> {
    return loadParts(path, this.actuators);
  }
}
