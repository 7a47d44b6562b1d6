import type { Named } from '../data/named.js';
import type { Actuator } from './actuator.js';
import { ActuatorsDict } from './actuators-dict.js';
import { loadParts, saveParts } from './component.js';
import { Environment } from './environment.js';
import type { Sensor } from './sensor.js';
import { SensorsDict } from './sensors-dict.js';

/**
 * An environment made of a sensor (observations) and an actuator (actions). Lifecycle events go to the
 * sensor, then the actuator. State: `path/sensor`, `path/actuator`.
 */
export class ModularEnvironment<Obs = any, Act = any> extends Environment<Obs, Act> {
  constructor(
    readonly sensor: Sensor<Obs>,
    readonly actuator: Actuator<Act>,
  ) {
    super();
  }

  /** A modular environment over named sensors and actuators. */
  static fromDict(
    sensors: Named<Sensor<any>>,
    actuators: Named<Actuator<any>>,
  ): ModularEnvironment<Record<string, any>, Record<string, any>> {
    return new ModularEnvironment(new SensorsDict(sensors), new ActuatorsDict(actuators));
  }

  observe(): Obs | Promise<Obs> {
    return this.sensor.read();
  }

  affect(action: Act): void | Promise<void> {
    return this.actuator.operate(action);
  }

  override setup(): void | Promise<void> {
    return (async () => {
      await this.sensor.setup();
      await this.actuator.setup();
    })();
  }

  override teardown(): void | Promise<void> {
    return (async () => {
      await this.sensor.teardown();
      await this.actuator.teardown();
    })();
  }

  override onPaused(): void | Promise<void> {
    return (async () => {
      await this.sensor.onPaused();
      await this.actuator.onPaused();
    })();
  }

  override onResumed(): void | Promise<void> {
    return (async () => {
      await this.sensor.onResumed();
      await this.actuator.onResumed();
    })();
  }

  private parts(): [string, Sensor<Obs> | Actuator<Act>][] {
    return [
      ['sensor', this.sensor],
      ['actuator', this.actuator],
    ];
  }

  override saveState(path: string): void | Promise<void> {
    return saveParts(path, this.parts());
  }

  override loadState(path: string): void | Promise<void> {
    return loadParts(path, this.parts());
  }
}
