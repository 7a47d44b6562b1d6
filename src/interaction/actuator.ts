import { InteractionComponent } from './component.js';

/** One receiver of actions of a {@link ModularEnvironment}. */
export abstract class Actuator<T = any> extends InteractionComponent {
  abstract operate(action: T): void | Promise<void>;
}
