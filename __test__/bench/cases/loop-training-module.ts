/**
 * The training side of the `loop under training` bench case: one trainer that burns `burnMs` of CPU
 * per run while allocating like a real trainer (fresh arrays every iteration), and moves what the
 * agent collected into the buffers, counting the items in a shared counter the agent's thread reads.
 * `fill` preloads `fill` Float32Array(`width`) items into the `big` buffer (the state the save case writes).
 */
import { defineTraining, LinearModel, SequentialBuffer, Trainer } from '../../../src/index.js';

export interface BenchTrainingOptions {
  burnMs: number;
  /** Int32 slots: [0] training runs, [1] items moved into the buffers. */
  shared: SharedArrayBuffer;
  fill?: number;
  width?: number;
}

class BurningTrainer extends Trainer {
  private readonly counters: Int32Array;
  constructor(private readonly opts: BenchTrainingOptions) {
    super();
    this.counters = new Int32Array(opts.shared);
  }

  train(): void {
    let moved = 0;
    for (const name of ['records', 'frames']) {
      const user = this.getDataUser(name);
      moved += user.collector.length;
      user.update();
    }
    Atomics.add(this.counters, 1, moved);
    const begin = performance.now();
    let sink = 0;
    while (performance.now() - begin < this.opts.burnMs) {
      const a = new Float64Array(4096); // garbage every iteration, as tensors and batches are
      for (let i = 0; i < a.length; i++) a[i] = i * 0.5;
      sink += a[a.length - 1]!;
    }
    if (sink < 0) throw new Error('unreachable');
    this.getTrainingModel<LinearModel>('policy').trainStep([1, 2, 3, 4], 1);
    Atomics.add(this.counters, 0, 1);
  }
}

export default defineTraining<BenchTrainingOptions>({
  models: () => ({ policy: new LinearModel(4) }),
  buffers: (o) => {
    const big = new SequentialBuffer<Float32Array>(Math.max(1, o.fill ?? 1));
    for (let i = 0; i < (o.fill ?? 0); i++) big.add(new Float32Array(o.width ?? 1024).fill(i));
    return {
      records: new SequentialBuffer<unknown>(1_000_000),
      frames: new SequentialBuffer<unknown>(2_000),
      big,
    };
  },
  trainers: (o) => ({ burn: new BurningTrainer(o) }),
});
