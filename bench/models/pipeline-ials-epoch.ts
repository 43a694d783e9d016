// Seconds per iALS epoch through the training pipeline's own code path (the interaction
// log a snapshot gives, its view matrix, fitComponent with training.threads), on the
// same generated data as ials-epoch.ts: 1,000,000 interactions, 64 factors.
// Usage: node build/bench/models/pipeline-ials-epoch.js [--threads N] [--epochs E]
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { InteractionTypes } from '../../src/core/domain/interaction.js';
import { ialsThreadPool } from '../../src/app/training/ials-thread-pool.js';
import { fitComponent } from '../../src/core/recommend/components.js';
import { viewMatrix, type InteractionView } from '../../src/core/recommend/interaction-views.js';
import { DEFAULT_COMPONENTS } from '../../src/core/recommend/blend-config.js';
import { generateInteractions } from './synthetic-interactions.js';

const { values } = parseArgs({
  options: {
    threads: { type: 'string', default: String(Math.min(2, availableParallelism())) },
    epochs: { type: 'string', default: '5' },
  },
});
const types = new InteractionTypes();
const generated = generateInteractions(50_000, 20_000, 1_000_000);
// Events as the read models hold them: clicks (weight 2) and a few purchases (weight 8).
const n = generated.users.length;
const log = {
  users: generated.users,
  items: generated.items,
  types: Uint8Array.from(generated.weights, (w) => types.indexOf(w > 3 ? 'purchase' : 'click')!),
  values: new Float64Array(n).fill(Number.NaN),
  times: Float64Array.from({ length: n }, (_, i) => 1_700_000_000 + i),
};
const size = { users: generated.userCount, items: generated.itemCount };
const threads = Number(values.threads);
const started = performance.now();
const durations: number[] = [];
await fitComponent(
  {
    ...DEFAULT_COMPONENTS.ials,
    params: { ...DEFAULT_COMPONENTS.ials.params, factors: 64, iterations: Number(values.epochs) },
  },
  {
    matrix: (view: InteractionView) => viewMatrix(log, types, view, size),
    threads: ialsThreadPool(threads),
    onEpoch: (epoch, seconds) => {
      durations.push(seconds);
      console.log(`epoch ${epoch + 1}: ${seconds.toFixed(3)} s`);
    },
  },
);
const mean = (list: number[]) => list.reduce((a, b) => a + b, 0) / list.length;
console.log(
  `${n} interactions, 64 factors, ${threads} thread(s), pipeline path: ${mean(durations.slice(1)).toFixed(3)} s per epoch ` +
    `after the first (${mean(durations).toFixed(3)} mean); fit total ${((performance.now() - started) / 1000).toFixed(2)} s`,
);
