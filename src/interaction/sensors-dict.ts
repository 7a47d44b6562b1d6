import { namedEntries, type Named } from '../data/named.js';
import { forward, loadParts, saveParts } from './component.js';
import { Sensor } from './sensor.js';

/**
 * Several named sensors read as one: {@link read} returns `{ name: reading }`. Lifecycle events go to
 * each sensor in insertion order. State: `path/<name>` per sensor.
 */
export class SensorsDict extends Sensor<Record<string, any>> {
  readonly sensors: Map<string, Sensor<any>>;

  constructor(sensors?: Named<Sensor<any>>) {
    super();
    this.sensors = new Map(namedEntries(sensors));
  }

  read(): Record<string, any> | Promise<Record<string, any>> {
    return (async () => {
      const readings: Record<string, any> = {};
      for (const [name, sensor] of this.sensors) readings[name] = await sensor.read();
      return readings;
    })();
  }

  override setup(): void | Promise<void> {
    return forward(this.sensors.values(), 'setup');
  }

  override teardown(): void | Promise<void> {
    return forward(this.sensors.values(), 'teardown');
  }

  override onPaused(): void | Promise<void> {
    return forward(this.sensors.values(), 'onPaused');
  }

  override onResumed(): void | Promise<void> {
    return forward(this.sensors.values(), 'onResumed');
  }

  override saveState(path: string): void | Promise<void> {
    return saveParts(path, this.sensors);
  }

  override loadState(path: string): void | Promise<void> {
    return loadParts(path, this.sensors);
  }
}
