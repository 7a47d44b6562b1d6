import { forward, loadParts, saveParts } from './component.js';
import { Environment } from './environment.js';
import { toWrapper, type Wrapper, type WrapperLike } from './wrapper.js';

/**
 * An environment seen through wrappers: observations pass through `obsWrapper`, actions through
 * `actWrapper` (identity when omitted). Events go to the environment, the observation wrapper, then
 * the action wrapper. State: `env/`, `obs_wrapper/`, `act_wrapper/`.
 */
export class EnvironmentWrapper<Obs = any, Act = any, WObs = Obs, WAct = Act> extends Environment<WObs, WAct> {
  readonly obsWrapper: Wrapper<Obs, WObs>;
  readonly actWrapper: Wrapper<WAct, Act>;

  constructor(
    readonly env: Environment<Obs, Act>,
    obsWrapper: WrapperLike<Obs, WObs> = (o) => o as unknown as WObs,
    actWrapper: WrapperLike<WAct, Act> = (a) => a as unknown as Act,
  ) {
    super();
    this.obsWrapper = toWrapper(obsWrapper);
    this.actWrapper = toWrapper(actWrapper);
  }

  observe(): WObs | Promise<WObs> {
    return (async () => {
      return this.obsWrapper.wrap(await this.env.observe());
    })();
  }

  affect(action: WAct): void | Promise<void> {
    return (async () => {
      await this.env.affect(await this.actWrapper.wrap(action));
    })();
  }

  private parts(): [string, Environment<Obs, Act> | Wrapper<any, any>][] {
    return [
      ['env', this.env],
      ['obs_wrapper', this.obsWrapper],
      ['act_wrapper', this.actWrapper],
    ];
  }

  private all(): (Environment<Obs, Act> | Wrapper<any, any>)[] {
    return [this.env, this.obsWrapper, this.actWrapper];
  }

  override setup(): void | Promise<void> {
    return forward(this.all(), 'setup');
  }

  override teardown(): void | Promise<void> {
    return forward(this.all(), 'teardown');
  }

  override onPaused(): void | Promise<void> {
    return forward(this.all(), 'onPaused');
  }

  override onResumed(): void | Promise<void> {
    return forward(this.all(), 'onResumed');
  }

  override saveState(path: string): void | Promise<void> {
    return saveParts(path, this.parts());
  }

  override loadState(path: string): void | Promise<void> {
    return loadParts(path, this.parts());
  }
}
