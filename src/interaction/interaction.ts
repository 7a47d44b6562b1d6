import type { Agent } from './agent.js';
import { InteractionComponent, loadParts, saveParts } from './component.js';
import type { Environment } from './environment.js';

/**
 * One agent in one environment. Each {@link step} observes, decides and acts. Lifecycle events go to
 * the agent, then the environment. State: `path/agent`, `path/environment`.
 */
export class Interaction<Obs = any, Act = any> extends InteractionComponent {
  constructor(
    readonly agent: Agent<Obs, Act>,
    readonly environment: Environment<Obs, Act>,
  ) {
    super();
  }

  async step(): Promise<void> {
    const observation = await this.environment.observe();
    const action = await this.agent.step(observation);
    await this.environment.affect(action);
  }

  override setup(): void | Promise<void> {
    return (async () => {
      await this.agent.setup();
      await this.environment.setup();
    })();
  }

  override teardown(): void | Promise<void> {
    return (async () => {
      await this.agent.teardown();
      await this.environment.teardown();
    })();
  }

  override onPaused(): void | Promise<void> {
    return (async () => {
      await this.agent.onPaused();
      await this.environment.onPaused();
    })();
  }

  override onResumed(): void | Promise<void> {
    return (async () => {
      await this.agent.onResumed();
      await this.environment.onResumed();
    })();
  }

  private parts(): [string, Agent<Obs, Act> | Environment<Obs, Act>][] {
    return [
      ['agent', this.agent],
      ['environment', this.environment],
    ];
  }

  override saveState(path: string): void | Promise<void> {
    return saveParts(path, this.parts());
  }

  override loadState(path: string): void | Promise<void> {
    return loadParts(path, this.parts());
  }
}
