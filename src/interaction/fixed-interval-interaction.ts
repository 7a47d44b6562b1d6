import type { Agent } from './agent.js';
import type { Environment } from './environment.js';
import { Interaction } from './interaction.js';
import type { TimeController } from '../time/controller.js';
import { SleepIntervalAdjustor, type IntervalAdjustor } from './interval-adjustor.js';

/** An {@link Interaction} whose steps start at a fixed period of pamiq time. */
export class FixedIntervalInteraction<Obs = any, Act = any> extends Interaction<Obs, Act> {
  constructor(
    agent: Agent<Obs, Act>,
    environment: Environment<Obs, Act>,
    readonly adjustor: IntervalAdjustor,
  ) {
    super(agent, environment);
  }

  /**
   * With a {@link SleepIntervalAdjustor}; `offset` shortens the first period. The periods run on
   * `controller` when given, else on the global time controller.
   */
  static withSleepAdjustor<Obs, Act>(
    agent: Agent<Obs, Act>,
    environment: Environment<Obs, Act>,
    interval: number,
    offset = 0,
    controller?: TimeController,
  ): FixedIntervalInteraction<Obs, Act> {
    return new FixedIntervalInteraction(agent, environment, new SleepIntervalAdjustor(interval, offset, controller));
  }

  override setup(): void | Promise<void> {
    return (async () => {
      await super.setup();
      this.adjustor.reset();
    })();
  }

  override async step(): Promise<void> {
    await super.step();
    await this.adjustor.adjust();
  }
}
