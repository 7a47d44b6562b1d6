import { InteractionComponent } from './component.js';

/** One source of observations of a {@link ModularEnvironment}. */
export abstract class Sensor<T = any> extends InteractionComponent {
  abstract read(): T | Promise<T>;
}
