import type { IalsFactors } from './components.js';
import type { HistoryReader, PipelineModel } from './recommender.js';
import { FoldInSolver, Recommender, scoreFactors } from './recommender.js';
import type { InteractionTypes } from '../domain/interaction.js';

/**
 * What a request costs a pipeline when it has nothing kept for the user (their history
 * just changed: iALS folds their vector in again, every model scores the catalog), in
 * milliseconds, measured on this machine with `clock`. The search keeps its choices
 * within a budget of this (`training.requestBudgetMs`): accuracy bought with a 20 ms
 * request is no bargain for a service that answers in milliseconds.
 */

/** Items scored when timing iALS's scoring; the cost of more is scaled from it. */
const SCORED_SAMPLE = 20_000;

/**
 * iALS with `factors` factors over `items` items, for a history of `historyLength`
 * items: a fold-in and a score of every item. Timed on synthetic factors with compiled
 * kernels, the fastest of `rounds`: the machine's own cost, not what other processes
 * sharing its cores add to one round (training runs beside serving, and a loaded
 * machine must not make the search pick a weaker model).
 */
export function ialsRequestMs(
  factors: number,
  items: number,
  historyLength: number,
  clock: () => number,
  rounds = 15,
  /** Stops early once the fastest round is over twice this: clearly over a budget of it. */
  clearlyOverMs = Number.POSITIVE_INFINITY,
): number {
  warmUpKernels();
  const sample = Math.min(items, SCORED_SAMPLE);
  const { model, history, weights, length } = syntheticIals(factors, sample, historyLength);
  const solver = new FoldInSolver(factors);
  const vector = new Float32Array(factors);
  const scores = new Float32Array(sample);
  let fastest = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    const started = clock();
    solver.solve(model, history, weights, length, vector);
    const solved = clock();
    scoreFactors(model, vector, scores);
    const scored = clock();
    fastest = Math.min(fastest, solved - started + ((scored - solved) * items) / sample);
    if (round >= 1 && fastest > 2 * clearlyOverMs) break;
  }
  return fastest;
}

/** Random-looking factors of the given shape (the cost depends on the shapes only). */
function syntheticIals(
  factors: number,
  items: number,
  historyLength: number,
): { model: IalsFactors; history: Int32Array; weights: Float32Array; length: number } {
  const itemFactors = new Float32Array(items * factors);
  let seed = 12345;
  for (let i = 0; i < itemFactors.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    itemFactors[i] = (seed / 4294967296 - 0.5) * 0.2;
  }
  const itemGram = new Float64Array(factors * factors);
  for (let f = 0; f < factors; f++) itemGram[f * factors + f] = 1;
  const length = Math.max(1, Math.min(historyLength, items));
  return {
    model: {
      factors,
      items,
      itemFactors,
      itemGram,
      alpha: 1,
      regularization: 1,
      regularizationExponent: 0.5,
    },
    history: Int32Array.from({ length }, (_, i) => (i * 7919) % items),
    weights: new Float32Array(length).fill(1),
    length,
  };
}

let kernelsWarm = false;

/**
 * Runs the fold-in and scoring kernels until the JIT has compiled them: timed before
 * that, the same request measured anywhere from 3 to 9 ms in five runs here, and a
 * choice between two models must not hang on when the optimizing compiler kicked in.
 */
function warmUpKernels(): void {
  if (kernelsWarm) return;
  kernelsWarm = true;
  const { model, history, weights, length } = syntheticIals(32, 2000, 40);
  const solver = new FoldInSolver(32);
  const vector = new Float32Array(32);
  const scores = new Float32Array(2000);
  for (let round = 0; round < 200; round++) {
    solver.solve(model, history, weights, length, vector);
    scoreFactors(model, vector, scores);
  }
}

/**
 * A fitted pipeline's request for each of `users` (their histories from `reader`), with
 * nothing cached: the median in milliseconds, of the fastest of three rounds per user.
 */
export function pipelineRequestMs(
  model: PipelineModel,
  types: InteractionTypes,
  reader: HistoryReader,
  users: readonly number[],
  k: number,
  clock: () => number,
): number {
  const recommender = new Recommender(model, types);
  const times: number[] = [];
  for (const user of users) {
    let fastest = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 3; round++) {
      const started = clock();
      recommender.recommend(reader, user, k, undefined, null);
      fastest = Math.min(fastest, clock() - started);
    }
    times.push(fastest);
  }
  return median(times);
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}
