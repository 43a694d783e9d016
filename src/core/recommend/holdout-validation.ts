import type { InteractionTypes } from '../domain/interaction.js';
import { ndcgAtK } from '../evaluation/metrics.js';
import type { CsrMatrix } from '../models/interaction-matrix.js';
import type { IalsThreads } from '../models/ials-threads.js';
import { type ComponentModel, fitComponent } from './components.js';
import { type InteractionLog, type InteractionView, viewMatrix } from './interaction-views.js';
import {
  LogHistories,
  type SplitProtocol,
  relevantFromRows,
  sampleUsers,
  splitRows,
} from './offline.js';
import type { ComponentConfig } from './blend-config.js';
import { Recommender } from './recommender.js';

export interface HoldoutOptions {
  readonly threads: IalsThreads;
  readonly seed: number;
  readonly historyLimit: number;
  /** Users scored per cut at most (a seeded sample beyond); default 5000. */
  readonly maxUsers?: number;
  /** Independent cuts of every user's interactions, averaged; default 2. */
  readonly cuts?: number;
  /** Share of a cut's training rows the reduced scale keeps; default 2/3. */
  readonly reducedShare?: number;
}

/** One data scale of a cut: the rows models train on and the histories they serve. */
interface Scale {
  readonly train: Int32Array;
  readonly histories: LogHistories;
  readonly matrices: Map<InteractionView, CsrMatrix>;
}

interface Cut {
  readonly full: Scale;
  /** The same cut with fewer training rows per user, for the learning curve. */
  readonly reduced: Scale;
  readonly relevant: ReadonlyMap<number, ReadonlySet<number>>;
  readonly evaluated: readonly number[];
}

export interface HoldoutEvaluation {
  /** Mean nDCG@k over the cuts at the holdout's own scale. */
  readonly measured: number;
  /** The same with the reduced training rows (undefined when not asked for). */
  readonly reduced?: number;
  /**
   * The learning curve followed up to the data the final fit has: measured +
   * step × (measured − reduced), the value configurations are compared by.
   */
  readonly extrapolated: number;
}

/**
 * A holdout of each user's interactions (the protocol, several seeds): models train on
 * the rest, in which the validated users are, and score them with the vectors training
 * learned for them, as serving does for users it trained on.
 *
 * The holdout's models see less data than the final fit (75% of it under the default
 * protocol), and the best capacity of a model grows with its data: judged at the
 * holdout's scale alone, a larger model that the full data would favour loses. So each
 * cut is also trained at a reduced scale (two thirds of its training rows per user), and
 * configurations are compared where the line through the two points, on a log scale of
 * the data, reaches the full data: a configuration whose lead grows with data is
 * credited for it, one whose lead shrinks is not.
 */
export class HoldoutValidation {
  private readonly cuts: readonly Cut[];
  /** Model fits of a full (not shortened) evaluation. */
  readonly fitsPerTrial: number;
  /** How far the full data lies beyond the holdout's, in units of the reduced step. */
  readonly extrapolationStep: number;
  readonly users: number;

  constructor(
    private readonly log: InteractionLog,
    private readonly types: InteractionTypes,
    private readonly size: { readonly users: number; readonly items: number },
    rows: Int32Array,
    protocol: SplitProtocol,
    private readonly options: HoldoutOptions,
  ) {
    const cutCount = protocol.kind === 'random' ? Math.max(1, options.cuts ?? 2) : 1;
    const reducedShare = options.reducedShare ?? 2 / 3;
    const cuts: Cut[] = [];
    let trainRows = 0;
    let reducedRows = 0;
    for (let index = 0; index < cutCount; index++) {
      const cutProtocol =
        protocol.kind === 'random' ? { ...protocol, seed: protocol.seed + 101 * index } : protocol;
      const { train, test } = splitRows(log, rows, cutProtocol);
      const reduced = splitRows(log, train, {
        kind: 'random',
        ratio: reducedShare,
        seed: options.seed + 31 * (index + 1),
      }).train;
      const full = this.scale(train);
      const relevant = relevantFromRows(log, types, test, full.histories);
      cuts.push({
        full,
        reduced: this.scale(reduced),
        relevant,
        evaluated: sampleUsers(
          [...relevant.keys()],
          options.maxUsers ?? 5000,
          options.seed + index,
        ),
      });
      trainRows += train.length;
      reducedRows += reduced.length;
    }
    this.cuts = cuts;
    this.fitsPerTrial = cuts.length * 2;
    this.users = cuts[0]?.evaluated.length ?? 0;
    this.extrapolationStep =
      trainRows > 0 && reducedRows > 0 && reducedRows < trainRows
        ? Math.log((rows.length * cutCount) / trainRows) / Math.log(trainRows / reducedRows)
        : 0;
  }

  /**
   * Validation nDCG@k of one model. `sweeps` shortens iALS (a screening run, first cut
   * only, no learning curve); otherwise every cut is fitted at both scales.
   */
  async evaluate(
    config: ComponentConfig,
    k: number,
    sweeps?: number,
  ): Promise<HoldoutEvaluation & { readonly fits: number }> {
    const single = { ...config, weight: 1 } as ComponentConfig;
    if (sweeps !== undefined) {
      const measured = await this.score(single, this.cuts[0]!, 'full', k, sweeps);
      return { measured, extrapolated: measured, fits: 1 };
    }
    let measured = 0;
    let reduced = 0;
    for (const cut of this.cuts) {
      measured += await this.score(single, cut, 'full', k);
      reduced += await this.score(single, cut, 'reduced', k);
    }
    measured /= this.cuts.length;
    reduced /= this.cuts.length;
    return {
      measured,
      reduced,
      extrapolated: measured + this.extrapolationStep * (measured - reduced),
      fits: this.fitsPerTrial,
    };
  }

  private async score(
    config: ComponentConfig,
    cut: Cut,
    which: 'full' | 'reduced',
    k: number,
    sweeps?: number,
  ): Promise<number> {
    const scale = cut[which];
    const model = await fitComponent(
      config,
      {
        matrix: (view) => {
          let built = scale.matrices.get(view);
          if (built === undefined)
            scale.matrices.set(
              view,
              (built = viewMatrix(this.log, this.types, view, this.size, scale.train)),
            );
          return built;
        },
        threads: this.options.threads,
        seed: this.options.seed,
      },
      sweeps,
    );
    const recommender = new Recommender(
      {
        config: { components: [config], historyLimit: this.options.historyLimit },
        itemCount: this.size.items,
        components: [model],
      },
      this.types,
      { knownUserVector: trainedVectors(model) },
    );
    let sum = 0;
    for (const user of cut.evaluated) {
      const ranked = recommender.recommend(scale.histories, user, k);
      if (ranked !== undefined) sum += ndcgAtK(ranked.indices, cut.relevant.get(user)!, k);
    }
    return cut.evaluated.length === 0 ? 0 : sum / cut.evaluated.length;
  }

  private scale(train: Int32Array): Scale {
    return {
      train,
      histories: new LogHistories(this.log, train, this.size.users),
      matrices: new Map(),
    };
  }
}

/** iALS's own user vectors, for users whose history is exactly their training row. */
function trainedVectors(
  model: ComponentModel,
): ((user: number) => Float32Array | undefined) | undefined {
  if (model.kind !== 'ials' || model.ials.userFactors === undefined) return undefined;
  const { userFactors, factors } = model.ials;
  const users = userFactors.length / factors;
  return (user) =>
    user >= 0 && user < users
      ? userFactors.subarray(user * factors, (user + 1) * factors)
      : undefined;
}
