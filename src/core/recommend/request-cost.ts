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
 * items: a fold-in and a score of every item. Timed on synthetic factors (the cost
 * depends on the shapes only), the fastest of `rounds`: the machine's own cost, not
 * what other processes sharing its cores add to one round (training runs beside
 * serving, and a loaded machine must not make the search pick a weaker model).
 */
export function ialsRequestMs(
  factors: number,
  items: number,
  historyLength: number,
  clock: () => number,
  rounds = 7,
): number {
  const sample = Math.min(items, SCORED_SAMPLE);
  const itemFactors = new Float32Array(sample * factors);
  let seed = 12345;
  for (let i = 0; i < itemFactors.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    itemFactors[i] = (seed / 4294967296 - 0.5) * 0.2;
  }
  const itemGram = new Float64Array(factors * factors);
  for (let f = 0; f < factors; f++) itemGram[f * factors + f] = 1;
  const model: IalsFactors = {
    factors,
    items: sample,
    itemFactors,
    itemGram,
    alpha: 1,
    regularization: 1,
    regularizationExponent: 0.5,
  };
  const length = Math.max(1, Math.min(historyLength, sample));
  const history = Int32Array.from({ length }, (_, i) => (i * 7919) % sample);
  const weights = new Float32Array(length).fill(1);
  const solver = new FoldInSolver(factors);
  const vector = new Float32Array(factors);
  const scores = new Float32Array(sample);
  const times: number[] = [];
  for (let round = 0; round <= rounds; round++) {
    const started = clock();
    solver.solve(model, history, weights, length, vector);
    const solved = clock();
    scoreFactors(model, vector, scores);
    const scored = clock();
    // The first round warms the code up and is not counted.
    if (round > 0) times.push(solved - started + ((scored - solved) * items) / sample);
  }
  return Math.min(...times);
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
