// Seconds per iALS epoch on generated data.
// Usage: node build/bench/models/ials-epoch.js [--threads N] [--engine wasm|js] [--factors K]
//        [--users U] [--items I] [--interactions N] [--epochs E]
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { fitIals } from '../../src/core/models/ials.js';
import { ialsThreadPool } from '../../src/app/training/ials-thread-pool.js';
import { buildInteractionMatrix } from '../../src/core/models/interaction-matrix.js';
import { generateInteractions } from './synthetic-interactions.js';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    engine: { type: 'string', default: 'wasm' },
    factors: { type: 'string', default: '64' },
    users: { type: 'string', default: '50000' },
    items: { type: 'string', default: '20000' },
    interactions: { type: 'string', default: '1000000' },
    epochs: { type: 'string', default: '5' },
  },
});
const engine = values.engine === 'js' ? 'js' : 'wasm';
const threads = Number(values.threads);
const factors = Number(values.factors);
const epochs = Number(values.epochs);

const generated = generateInteractions(
  Number(values.users),
  Number(values.items),
  Number(values.interactions),
);
const matrix = buildInteractionMatrix(generated, {
  users: generated.userCount,
  items: generated.itemCount,
});
console.log(
  `${matrix.rows} users x ${matrix.cols} items, ${matrix.colIdx.length} interactions; ` +
    `${factors} factors, engine ${engine}, ${threads} thread(s)`,
);

const durations: number[] = [];
const started = performance.now();
await fitIals(matrix, {
  factors,
  engine,
  threads: ialsThreadPool(threads),
  iterations: epochs,
  regularization: 0.1,
  onEpoch: (epoch, seconds) => {
    durations.push(seconds);
    console.log(`epoch ${epoch + 1}: ${seconds.toFixed(3)} s`);
  },
});
const total = (performance.now() - started) / 1000;
// The first epoch also pays for JIT warm-up; report the rest separately.
const steady = durations.slice(1);
const mean = (list: number[]): number => list.reduce((sum, value) => sum + value, 0) / list.length;
console.log(
  `seconds per epoch: ${mean(durations).toFixed(3)} mean, ` +
    `${(steady.length > 0 ? mean(steady) : mean(durations)).toFixed(3)} after the first; ` +
    `fit total ${total.toFixed(2)} s including setup`,
);
