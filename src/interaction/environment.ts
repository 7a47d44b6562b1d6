import { InteractionComponent } from './component.js';

/** The world the agent acts in: produces observations and receives actions. */
export abstract class Environment<Obs = any, Act = any> extends InteractionComponent {
  abstract observe(): Obs | Promise<Obs>;
  abstract affect(action: Act): void | Promise<void>;
}
