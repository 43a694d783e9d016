import { INTERACTION_VIEWS, type InteractionView } from './interaction-views.js';

/** The models a pipeline can blend. */
export type ComponentKind = 'ials' | 'ease' | 'rp3beta' | 'item-knn' | 'popularity';

export const COMPONENT_KINDS: readonly ComponentKind[] = [
  'ials',
  'ease',
  'rp3beta',
  'item-knn',
  'popularity',
];

export interface IalsParams {
  readonly factors: number;
  readonly regularization: number;
  readonly regularizationExponent: number;
  readonly alpha: number;
  readonly iterations: number;
}
export interface EaseParams {
  readonly lambda: number;
  /** Emphasized-denoising dropout (0: plain EASE). */
  readonly dropout: number;
}
export interface Rp3betaParams {
  readonly alpha: number;
  readonly beta: number;
  readonly neighbours: number;
}
export interface ItemKnnParams {
  readonly neighbours: number;
  readonly shrinkage: number;
}
export type PopularityParams = Readonly<Record<string, never>>;

interface ComponentBase<K extends ComponentKind, P> {
  readonly kind: K;
  /** How interactions become this model's input. */
  readonly view: InteractionView;
  /** Weight in the blend (of z-normalized scores); may be negative (popularity). */
  readonly weight: number;
  readonly params: P;
}

export type ComponentConfig =
  | ComponentBase<'ials', IalsParams>
  | ComponentBase<'ease', EaseParams>
  | ComponentBase<'rp3beta', Rp3betaParams>
  | ComponentBase<'item-knn', ItemKnnParams>
  | ComponentBase<'popularity', PopularityParams>;

/**
 * A recommendation pipeline: which models, on which view of the interactions, with
 * which hyperparameters, blended with which weights. The automatic search produces
 * one; a user can also pin one (setting `training.pipeline`).
 */
export interface PipelineConfig {
  readonly components: readonly ComponentConfig[];
  /** How many of a user's latest interactions their recommendations are computed from. */
  readonly historyLimit: number;
}

export const DEFAULT_HISTORY_LIMIT = 2000;

/** Each model's defaults: good starting points on MovieLens-like data, and the search's incumbents. */
export const DEFAULT_COMPONENTS: {
  readonly [K in ComponentKind]: Extract<ComponentConfig, { kind: K }>;
} = {
  ials: {
    kind: 'ials',
    view: 'strength',
    weight: 1,
    params: {
      factors: 128,
      regularization: 5,
      regularizationExponent: 0.5,
      alpha: 1,
      iterations: 15,
    },
  },
  ease: { kind: 'ease', view: 'presence', weight: 1, params: { lambda: 300, dropout: 0 } },
  rp3beta: {
    kind: 'rp3beta',
    view: 'presence',
    weight: 1,
    params: { alpha: 0.8, beta: 0.4, neighbours: 200 },
  },
  'item-knn': {
    kind: 'item-knn',
    view: 'presence',
    weight: 1,
    params: { neighbours: 50, shrinkage: 10 },
  },
  popularity: { kind: 'popularity', view: 'strength', weight: 1, params: {} },
};

export function singleComponent(kind: ComponentKind): PipelineConfig {
  return { components: [DEFAULT_COMPONENTS[kind]], historyLimit: DEFAULT_HISTORY_LIMIT };
}

const PARAM_RANGES: { readonly [K in ComponentKind]: Readonly<Record<string, [number, number]>> } =
  {
    ials: {
      factors: [1, 1024],
      regularization: [1e-6, 1e6],
      regularizationExponent: [0, 2],
      alpha: [0, 1e6],
      iterations: [1, 200],
    },
    ease: { lambda: [1e-6, 1e9], dropout: [0, 0.95] },
    rp3beta: { alpha: [0.01, 5], beta: [0, 2], neighbours: [1, 10_000] },
    'item-knn': { neighbours: [1, 10_000], shrinkage: [0, 1e6] },
    popularity: {},
  };

/**
 * Checks a pipeline given as JSON (a setting, a stored artifact) and fills defaults for
 * missing parameters. Throws an Error naming the first problem.
 */
export function parsePipelineConfig(input: unknown): PipelineConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input))
    throw new Error('a pipeline must be an object with "components"');
  const raw = input as Record<string, unknown>;
  const components = raw['components'];
  if (!Array.isArray(components) || components.length === 0)
    throw new Error('a pipeline needs a non-empty "components" array');
  const historyLimit = raw['historyLimit'] ?? DEFAULT_HISTORY_LIMIT;
  if (typeof historyLimit !== 'number' || !Number.isInteger(historyLimit) || historyLimit < 1)
    throw new Error('"historyLimit" must be a positive integer');
  const seen = new Set<ComponentKind>();
  const parsed = components.map((component: unknown, index) => {
    if (component === null || typeof component !== 'object')
      throw new Error(`components[${index}] must be an object`);
    const c = component as Record<string, unknown>;
    const kind = c['kind'];
    if (typeof kind !== 'string' || !COMPONENT_KINDS.includes(kind as ComponentKind))
      throw new Error(`components[${index}].kind must be one of ${COMPONENT_KINDS.join(', ')}`);
    const k = kind as ComponentKind;
    if (seen.has(k)) throw new Error(`components[${index}]: "${k}" appears twice`);
    seen.add(k);
    const defaults = DEFAULT_COMPONENTS[k];
    const view = c['view'] ?? defaults.view;
    if (typeof view !== 'string' || !INTERACTION_VIEWS.includes(view as InteractionView))
      throw new Error(`components[${index}].view must be one of ${INTERACTION_VIEWS.join(', ')}`);
    const weight = c['weight'] ?? 1;
    if (typeof weight !== 'number' || !Number.isFinite(weight))
      throw new Error(`components[${index}].weight must be a number`);
    const rawParams = (c['params'] ?? {}) as Record<string, unknown>;
    if (rawParams === null || typeof rawParams !== 'object')
      throw new Error(`components[${index}].params must be an object`);
    const params: Record<string, number> = { ...(defaults.params as Record<string, number>) };
    for (const [name, value] of Object.entries(rawParams)) {
      const range = PARAM_RANGES[k][name];
      if (range === undefined)
        throw new Error(`components[${index}]: ${k} has no parameter "${name}"`);
      if (typeof value !== 'number' || !(value >= range[0] && value <= range[1]))
        throw new Error(
          `components[${index}].params.${name} must be a number in [${range[0]}, ${range[1]}]`,
        );
      params[name] = value;
    }
    return { kind: k, view: view as InteractionView, weight, params } as ComponentConfig;
  });
  return { components: parsed, historyLimit };
}

/** One line describing a pipeline, for logs and tables. */
export function describePipeline(config: PipelineConfig): string {
  return config.components
    .map((c) => {
      const params = Object.entries(c.params)
        .map(([name, value]) => `${name}=${Number(value.toPrecision(4))}`)
        .join(' ');
      return `${c.kind}[${c.view}${params ? ' ' + params : ''}]×${Number(c.weight.toPrecision(3))}`;
    })
    .join(' + ');
}
