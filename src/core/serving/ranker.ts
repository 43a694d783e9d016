import { solveSpd } from '../models/dense-linear-algebra.js';

export interface RankerTraining {
  /** Rows of `features` floats each, row-major. */
  readonly rows: Float32Array;
  /** 1 when the shown item was clicked (an attributed positive interaction), else 0. */
  readonly labels: Uint8Array;
  readonly count: number;
  readonly features: number;
}

export interface RankerOptions {
  /** L2 penalty on the standardized weights. */
  readonly l2?: number;
  readonly iterations?: number;
}

/**
 * A logistic-regression ranker: P(click | features) = σ(b + Σ w_f · z_f), z the features
 * standardized with the training means and deviations. Fitted by Newton's method (each
 * step solves a features² system, so a fit over tens of thousands of logged impressions
 * takes milliseconds), which needs no learning rate and converges in a few steps.
 * Logistic regression rather than trees: a handful of real-time features, a fit cheap
 * enough to redo as clicks arrive, and weights an operator can read.
 */
export class LogisticRanker {
  private constructor(
    readonly means: Float64Array,
    readonly deviations: Float64Array,
    /** weights[0] is the intercept, weights[1 + f] the weight of feature f. */
    readonly weights: Float64Array,
    readonly trainedOn: number,
  ) {}

  get features(): number {
    return this.means.length;
  }

  static fit(data: RankerTraining, options: RankerOptions = {}): LogisticRanker {
    const { rows, labels, count, features } = data;
    const l2 = options.l2 ?? 1;
    const iterations = options.iterations ?? 12;
    const means = new Float64Array(features);
    const deviations = new Float64Array(features);
    for (let i = 0; i < count; i++)
      for (let f = 0; f < features; f++) means[f]! += rows[i * features + f]!;
    for (let f = 0; f < features; f++) means[f]! /= Math.max(1, count);
    for (let i = 0; i < count; i++)
      for (let f = 0; f < features; f++)
        deviations[f]! += (rows[i * features + f]! - means[f]!) ** 2;
    for (let f = 0; f < features; f++) {
      const deviation = Math.sqrt(deviations[f]! / Math.max(1, count));
      deviations[f] = deviation > 1e-9 ? deviation : 1;
    }
    const n = features + 1;
    const weights = new Float64Array(n);
    const z = new Float64Array(n);
    const hessian = new Float64Array(n * n);
    const gradient = new Float64Array(n);
    for (let iteration = 0; iteration < iterations; iteration++) {
      hessian.fill(0);
      gradient.fill(0);
      for (let i = 0; i < count; i++) {
        z[0] = 1;
        for (let f = 0; f < features; f++)
          z[f + 1] = (rows[i * features + f]! - means[f]!) / deviations[f]!;
        let margin = 0;
        for (let j = 0; j < n; j++) margin += weights[j]! * z[j]!;
        const p = 1 / (1 + Math.exp(-margin));
        const residual = labels[i]! - p;
        const curvature = Math.max(p * (1 - p), 1e-6);
        for (let a = 0; a < n; a++) {
          gradient[a]! += residual * z[a]!;
          const scaled = curvature * z[a]!;
          for (let b = a; b < n; b++) hessian[a * n + b]! += scaled * z[b]!;
        }
      }
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < a; b++) hessian[a * n + b] = hessian[b * n + a]!;
        // The intercept is not penalized, but keeps a tiny ridge for an all-one-label fit.
        const penalty = a === 0 ? 1e-6 : l2;
        hessian[a * n + a]! += penalty;
        gradient[a]! -= penalty * weights[a]!;
      }
      const step = solveSpd(hessian, n, gradient);
      let change = 0;
      for (let j = 0; j < n; j++) {
        weights[j]! += step[j]!;
        change = Math.max(change, Math.abs(step[j]!));
      }
      if (change < 1e-6) break;
    }
    return new LogisticRanker(means, deviations, weights, count);
  }

  /** The click probability of one feature row (`row` floats from `offset`). */
  score(rows: Float32Array, offset: number): number {
    const { means, deviations, weights } = this;
    let margin = weights[0]!;
    for (let f = 0; f < means.length; f++)
      margin += (weights[f + 1]! * (rows[offset + f]! - means[f]!)) / deviations[f]!;
    return 1 / (1 + Math.exp(-margin));
  }

  /** Each feature's contribution to the margin of one row (for explanations). */
  contributions(rows: Float32Array, offset: number, out: number[]): void {
    const { means, deviations, weights } = this;
    for (let f = 0; f < means.length; f++)
      out[f] = (weights[f + 1]! * (rows[offset + f]! - means[f]!)) / deviations[f]!;
  }

  toJSON(): { means: number[]; deviations: number[]; weights: number[]; trainedOn: number } {
    return {
      means: [...this.means],
      deviations: [...this.deviations],
      weights: [...this.weights],
      trainedOn: this.trainedOn,
    };
  }
}

/**
 * Logged impressions with their feature rows, newest kept: a ring of fixed size, so
 * memory is bounded however long the engine runs. Labels are set when a click is
 * attributed to a row after the fact.
 */
export class ImpressionRows {
  readonly rows: Float32Array;
  readonly labels: Uint8Array;
  private readonly ids: Float64Array;
  private next = 0;
  private total = 0;
  private positives = 0;

  constructor(
    readonly capacity: number,
    readonly features: number,
  ) {
    this.rows = new Float32Array(capacity * features);
    this.labels = new Uint8Array(capacity);
    this.ids = new Float64Array(capacity).fill(-1);
  }

  /** Rows held (at most the capacity). */
  get count(): number {
    return Math.min(this.total, this.capacity);
  }

  /** Rows labelled positive among those held. */
  get clicks(): number {
    return this.positives;
  }

  /** Rows ever added. */
  get added(): number {
    return this.total;
  }

  /**
   * Adds a row copied from `source` at `offset`; returns its handle, valid while the row
   * is held (see `label`).
   */
  add(source: Float32Array, offset: number): number {
    const slot = this.next;
    if (this.labels[slot] === 1) this.positives--;
    const base = slot * this.features;
    for (let f = 0; f < this.features; f++) this.rows[base + f] = source[offset + f]!;
    this.labels[slot] = 0;
    const handle = this.total++;
    this.ids[slot] = handle;
    this.next = (slot + 1) % this.capacity;
    return handle;
  }

  /** Marks a row clicked; false when it has already been overwritten. */
  label(handle: number): boolean {
    const slot = handle % this.capacity;
    if (this.ids[slot] !== handle) return false;
    if (this.labels[slot] === 0) this.positives++;
    this.labels[slot] = 1;
    return true;
  }

  training(): RankerTraining {
    return { rows: this.rows, labels: this.labels, count: this.count, features: this.features };
  }
}
