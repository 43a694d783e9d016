import { type EaseDualModel, EASE_DUAL_MAX_USERS, fitEaseDual } from '../models/ease-dual.js';
import { type EaseModel, fitEase } from '../models/ease.js';
import { fitIals } from '../models/ials.js';
import type { IalsThreads } from '../models/ials-threads.js';
import type { CsrMatrix } from '../models/interaction-matrix.js';
import { type ItemKnnModel, fitItemKnn } from '../models/item-knn.js';
import { popularityScores } from '../models/popularity.js';
import { fitRp3beta } from '../models/rp3beta.js';
import type { InteractionView } from './interaction-views.js';
import { positivePart } from './interaction-views.js';
import type { ComponentConfig } from './blend-config.js';

/** What serving needs of an iALS model: item factors and what fold-in reads. */
export interface IalsFactors {
  readonly factors: number;
  readonly items: number;
  readonly itemFactors: Float32Array;
  /** YᵀY in double precision. */
  readonly itemGram: Float64Array;
  readonly alpha: number;
  readonly regularization: number;
  readonly regularizationExponent: number;
  /** Present right after fitting (the search scores validation users with it); never stored. */
  readonly userFactors?: Float32Array;
}

/** A fitted model of a pipeline, ready to score histories. */
export type ComponentModel =
  | { readonly kind: 'ials'; readonly config: ComponentConfig; readonly ials: IalsFactors }
  | {
      readonly kind: 'ease';
      readonly config: ComponentConfig;
      readonly dual?: EaseDualModel;
      readonly primal?: EaseModel;
    }
  | {
      readonly kind: 'rp3beta' | 'item-knn';
      readonly config: ComponentConfig;
      readonly neighbours: ItemKnnModel;
    }
  | {
      readonly kind: 'popularity';
      readonly config: ComponentConfig;
      readonly scores: Float32Array;
    };

export interface FitContext {
  /** The user x item matrix of a view (signed; callers cache it per view). */
  matrix(view: InteractionView): CsrMatrix;
  /** The threads iALS may use (`ON_CALLING_THREAD`: none but the caller's). */
  readonly threads: IalsThreads;
  readonly seed?: number;
  /** iALS reports each sweep's duration here (benchmarks). */
  readonly onEpoch?: (epoch: number, seconds: number) => void;
}

/** Largest catalog for EASE's primal form, whose B is items² floats. */
export const EASE_MAX_PRIMAL_ITEMS = 2500;

/** Whether EASE fits this data in memory and time (dual when users are few, else primal). */
export function easeApplicable(matrix: CsrMatrix): boolean {
  return activeRows(matrix) <= EASE_DUAL_MAX_USERS || matrix.cols <= EASE_MAX_PRIMAL_ITEMS;
}

/** Fits one model. `iterations` overrides iALS's (the search trains short runs first). */
export async function fitComponent(
  config: ComponentConfig,
  context: FitContext,
  iterations?: number,
): Promise<ComponentModel> {
  const matrix = context.matrix(config.view);
  const weighted = config.view !== 'presence';
  switch (config.kind) {
    case 'ials': {
      const p = config.params;
      const model = await fitIals(matrix, {
        factors: p.factors,
        regularization: p.regularization,
        regularizationExponent: p.regularizationExponent,
        alpha: p.alpha,
        iterations: iterations ?? p.iterations,
        threads: context.threads,
        seed: context.seed ?? 0,
        ...(context.onEpoch === undefined ? {} : { onEpoch: context.onEpoch }),
      });
      return {
        kind: 'ials',
        config,
        ials: {
          factors: model.factors,
          items: model.items,
          itemFactors: model.itemFactors,
          itemGram: model.itemGram,
          alpha: model.alpha,
          regularization: model.regularization,
          regularizationExponent: model.regularizationExponent,
          userFactors: model.userFactors,
        },
      };
    }
    case 'ease': {
      const positives = positivePart(matrix);
      const { lambda, dropout } = config.params;
      const users = activeRows(positives);
      if (users <= EASE_DUAL_MAX_USERS && users < positives.cols)
        return {
          kind: 'ease',
          config,
          dual: fitEaseDual(positives, { lambda, dropout, weighted }),
        };
      return {
        kind: 'ease',
        config,
        primal: fitEase(positives, { lambda, weighted, maxItems: EASE_MAX_PRIMAL_ITEMS }),
      };
    }
    case 'rp3beta': {
      const { alpha, beta, neighbours } = config.params;
      return {
        kind: 'rp3beta',
        config,
        neighbours: fitRp3beta(positivePart(matrix), { alpha, beta, neighbours, weighted }),
      };
    }
    case 'item-knn': {
      const { neighbours, shrinkage } = config.params;
      return {
        kind: 'item-knn',
        config,
        neighbours: fitItemKnn(positivePart(matrix), {
          similarity: 'cosine',
          neighbours,
          shrinkage,
          weighted,
        }),
      };
    }
    case 'popularity':
      return { kind: 'popularity', config, scores: popularityScores(matrix) };
  }
}

function activeRows(matrix: CsrMatrix): number {
  let active = 0;
  for (let row = 0; row < matrix.rows; row++)
    if (matrix.rowPtr[row + 1]! > matrix.rowPtr[row]!) active++;
  return active;
}
