import type { InteractionTypes } from '../domain/interaction.js';
import { ndcgAtK } from '../evaluation/metrics.js';
import type { CsrMatrix } from '../models/interaction-matrix.js';
import type { IalsThreads } from '../models/ials-threads.js';
import { createRandom } from '../models/random.js';
import type { ComponentModel, FitContext } from './components.js';
import { type InteractionLog, type InteractionView, viewMatrix } from './interaction-views.js';
import { LogHistories, type SplitProtocol, relevantFromRows, splitRows } from './offline.js';
import { type PipelineModel, Recommender } from './recommender.js';

/** One way of cutting the fold's users' interactions into history and targets. */
interface Repetition {
  readonly histories: LogHistories;
  readonly users: readonly number[];
  readonly relevant: ReadonlyMap<number, ReadonlySet<number>>;
}

interface Fold {
  /** What the models of this fold train on: every row except this fold's users'. */
  readonly trainRows: Int32Array;
  readonly repetitions: readonly Repetition[];
  readonly matrices: Map<InteractionView, CsrMatrix>;
}

export interface ValidationOptions {
  /** User folds; default 5. */
  readonly folds?: number;
  /** Users validated on at most (a seeded sample beyond); default 5000. */
  readonly maxUsers?: number;
  /** Aim for about this many (user, repetition) evaluations; default 3000. */
  readonly targetEvaluations?: number;
  readonly seed?: number;
}

/**
 * The search's validation, shaped like serving: models never see the users they are
 * validated on. The validation users are dealt into folds; a fold's models train on
 * everyone else's interactions, and each of the fold's users is recommended to from
 * part of their interactions (their history) and scored against the rest (their
 * targets), as the protocol cuts them. This is EASE's and Mult-VAE's "strong
 * generalization" protocol, and what serving does for every user whose history has
 * changed since training (iALS folds them in, the item models read their history).
 *
 * Two choices make it a faithful judge on small data: the models train on nearly all
 * interactions (a plain holdout of a holdout trains on ~56% of the data, where
 * low-capacity models look better than they will be), and with random protocols each
 * user's interactions are cut several times (different seeds), so every training
 * interaction serves as a target and the noise of one random cut averages out.
 */
export class UserFoldValidation {
  readonly folds: readonly Fold[];
  readonly users: number;
  readonly evaluations: number;

  constructor(
    private readonly log: InteractionLog,
    private readonly types: InteractionTypes,
    private readonly size: { readonly users: number; readonly items: number },
    rows: Int32Array,
    protocol: SplitProtocol,
    options: ValidationOptions = {},
  ) {
    const random = createRandom(options.seed ?? 11);
    const counts = new Map<number, number>();
    for (const row of rows) {
      const user = log.users[row]!;
      if (user >= 0) counts.set(user, (counts.get(user) ?? 0) + 1);
    }
    // Users with at least two interactions can have both a history and a target.
    let candidates = [...counts.entries()].filter(([, n]) => n >= 2).map(([user]) => user);
    candidates.sort((a, b) => a - b);
    for (let i = candidates.length - 1; i > 0; i--) {
      const j = random.nextInt(i + 1);
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
    }
    candidates = candidates.slice(0, options.maxUsers ?? 5000);
    const foldCount = Math.max(1, Math.min(options.folds ?? 5, candidates.length));
    const foldOf = new Map<number, number>();
    candidates.forEach((user, position) => foldOf.set(user, position % foldCount));
    const repetitions =
      protocol.kind === 'random'
        ? Math.max(
            1,
            Math.min(
              4,
              Math.round((options.targetEvaluations ?? 3000) / Math.max(1, candidates.length)),
            ),
          )
        : 1;

    const folds: Fold[] = [];
    let evaluations = 0;
    for (let fold = 0; fold < foldCount; fold++) {
      const trainRows: number[] = [];
      const heldRows: number[] = [];
      for (const row of rows) {
        const user = log.users[row]!;
        if (user < 0) continue;
        (foldOf.get(user) === fold ? heldRows : trainRows).push(row);
      }
      const held = Int32Array.from(heldRows);
      const reps: Repetition[] = [];
      for (let rep = 0; rep < repetitions; rep++) {
        const cut =
          protocol.kind === 'random'
            ? splitRows(log, held, { ...protocol, seed: protocol.seed + 1000 * (rep + 1) })
            : splitRows(log, held, protocol);
        const histories = new LogHistories(log, cut.train, size.users);
        const relevant = relevantFromRows(log, types, cut.test, histories);
        const users = [...relevant.keys()].sort((a, b) => a - b);
        evaluations += users.length;
        reps.push({ histories, users, relevant });
      }
      folds.push({ trainRows: Int32Array.from(trainRows), repetitions: reps, matrices: new Map() });
    }
    this.folds = folds;
    this.users = candidates.length;
    this.evaluations = evaluations;
  }

  /** How a fold's models are fitted (its matrices are built once per view). */
  fitContext(fold: number, threads: IalsThreads, seed: number): FitContext {
    const { matrices, trainRows } = this.folds[fold]!;
    return {
      matrix: (view) => {
        let built = matrices.get(view);
        if (built === undefined)
          matrices.set(
            view,
            (built = viewMatrix(this.log, this.types, view, this.size, trainRows)),
          );
        return built;
      },
      threads,
      seed,
    };
  }

  /** Sum of nDCG@k over the fold's evaluations, and their count, for one pipeline. */
  score(fold: number, model: PipelineModel, k: number): { sum: number; count: number } {
    const recommender = new Recommender(model, this.types);
    let sum = 0;
    let count = 0;
    for (const rep of this.folds[fold]!.repetitions) {
      for (const user of rep.users) {
        const ranked = recommender.recommend(rep.histories, user, k, undefined, null);
        if (ranked !== undefined) sum += ndcgAtK(ranked.indices, rep.relevant.get(user)!, k);
        count++;
      }
    }
    return { sum, count };
  }

  /**
   * Every model's raw scores for every evaluation of the fold, with the seen mask, for
   * building blend pools; `visit` gets the evaluation's relevant set too.
   */
  visit(
    fold: number,
    models: readonly ComponentModel[],
    historyLimit: number,
    visit: (
      scores: readonly Float32Array[],
      seen: Uint8Array,
      relevant: ReadonlySet<number>,
    ) => void,
  ): void {
    const recommender = new Recommender(
      {
        config: { components: models.map((m) => m.config), historyLimit },
        itemCount: this.size.items,
        components: models,
      },
      this.types,
      { vectorCacheSize: 0 },
    );
    for (const rep of this.folds[fold]!.repetitions) {
      for (const user of rep.users) {
        const relevant = rep.relevant.get(user)!;
        const ok = recommender.componentScores(rep.histories, user, (scores, seen) =>
          visit(scores, seen, relevant),
        );
        if (!ok) visit([], new Uint8Array(0), relevant);
      }
    }
  }
}
