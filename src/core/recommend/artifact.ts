import type { ProjectionState } from '../projections/projection.js';
import { decodeSnapshot, encodeSnapshot } from '../projections/snapshot-codec.js';
import type { ComponentModel } from './components.js';
import { type ComponentConfig, parsePipelineConfig } from './blend-config.js';
import type { PipelineModel, UserLists, UserVectors } from './recommender.js';

const ARTIFACT_FORMAT = 1;
/** The state holding `PipelineModel.userVectors` (not a component kind). */
const USER_VECTORS = 'userVectors';
/** The state holding `PipelineModel.userLists`. */
const USER_LISTS = 'userLists';

/** What identifies an artifact besides its models. */
export interface ArtifactHeader {
  /** The log offset of the snapshot the models were trained on. */
  readonly offset: number;
  /** Settings that shaped the training data (interaction types); informative. */
  readonly fingerprint: string;
}

/**
 * A trained pipeline as bytes: the snapshot codec's layout (a JSON header, then every
 * typed array raw and 8-byte aligned), one "projection" per model. Loading views the
 * arrays in one copy of the bytes, without parsing numbers. Per-user state is the iALS
 * vectors folded in at the training offset (`UserVectors`), when the trainer made them;
 * serving folds in users whose history changed since.
 */
export function encodeArtifact(header: ArtifactHeader, model: PipelineModel): Uint8Array {
  const states: Record<string, ProjectionState> = {
    pipeline: {
      json: {
        format: ARTIFACT_FORMAT,
        config: model.config,
        itemCount: model.itemCount,
      },
      arrays: {},
    },
  };
  for (const component of model.components) states[component.kind] = componentState(component);
  if (model.userVectors !== undefined) {
    const { users, factors, vectors, versions } = model.userVectors;
    states[USER_VECTORS] = { json: { users, factors }, arrays: { vectors, versions } };
  }
  if (model.userLists !== undefined) {
    const { users, depth, indices, scores, lengths, versions } = model.userLists;
    states[USER_LISTS] = {
      json: { users, depth },
      arrays: { indices, scores, lengths, versions },
    };
  }
  return encodeSnapshot({
    checkpoint: header.offset,
    fingerprint: header.fingerprint,
    states,
  });
}

export function decodeArtifact(bytes: Uint8Array): {
  header: ArtifactHeader;
  model: PipelineModel;
} {
  const contents = decodeSnapshot(bytes);
  const pipeline = contents.states['pipeline'];
  if (!pipeline) throw new Error('not a model artifact');
  const json = pipeline.json as {
    format: number;
    config: unknown;
    itemCount: number;
  };
  if (json.format !== ARTIFACT_FORMAT)
    throw new Error(`unsupported artifact format ${json.format}`);
  const config = parsePipelineConfig(json.config);
  const components = config.components.map((component) => {
    const state = contents.states[component.kind];
    if (!state) throw new Error(`artifact lacks the ${component.kind} model`);
    return componentFromState(component, state);
  });
  const vectors = contents.states[USER_VECTORS];
  const userVectors: UserVectors | undefined =
    vectors === undefined
      ? undefined
      : {
          users: (vectors.json as { users: number }).users,
          factors: (vectors.json as { factors: number }).factors,
          vectors: vectors.arrays['vectors'] as Float32Array,
          versions: vectors.arrays['versions'] as Float64Array,
        };
  const lists = contents.states[USER_LISTS];
  const userLists: UserLists | undefined =
    lists === undefined
      ? undefined
      : {
          ...(lists.json as { users: number; depth: number }),
          indices: lists.arrays['indices'] as Int32Array,
          scores: lists.arrays['scores'] as Float32Array,
          lengths: lists.arrays['lengths'] as Int32Array,
          versions: lists.arrays['versions'] as Float64Array,
        };
  return {
    header: { offset: contents.checkpoint, fingerprint: contents.fingerprint },
    model: {
      config,
      itemCount: json.itemCount,
      components,
      ...(userVectors === undefined ? {} : { userVectors }),
      ...(userLists === undefined ? {} : { userLists }),
    },
  };
}

function componentState(component: ComponentModel): ProjectionState {
  switch (component.kind) {
    case 'ials': {
      const m = component.ials;
      return {
        json: {
          factors: m.factors,
          items: m.items,
          alpha: m.alpha,
          regularization: m.regularization,
          regularizationExponent: m.regularizationExponent,
        },
        arrays: { itemFactors: m.itemFactors, itemGram: m.itemGram },
      };
    }
    case 'ease':
      if (component.dual) {
        const d = component.dual;
        return {
          json: { form: 'dual', itemCount: d.itemCount, users: d.users },
          arrays: {
            itemPtr: d.itemPtr,
            itemUsers: d.itemUsers,
            itemValues: d.itemValues,
            kernel: d.kernel,
            diagonal: d.diagonal,
            inversePenalty: d.inversePenalty,
          },
        };
      }
      if (!component.primal) throw new Error('EASE model has neither form');
      return {
        json: { form: 'primal', itemCount: component.primal.itemCount },
        arrays: {
          modelItems: component.primal.modelItems,
          positionOf: component.primal.positionOf,
          weights: component.primal.weights,
        },
      };
    case 'rp3beta':
    case 'item-knn': {
      const n = component.neighbours.neighbours;
      return {
        json: { rows: n.rows, cols: n.cols },
        arrays: { rowPtr: n.rowPtr, colIdx: n.colIdx, values: n.values },
      };
    }
    case 'popularity':
      return { json: {}, arrays: { scores: component.scores } };
  }
}

function componentFromState(config: ComponentConfig, state: ProjectionState): ComponentModel {
  const a = state.arrays as Record<string, ArrayBufferView>;
  const json = state.json as Record<string, number | string>;
  switch (config.kind) {
    case 'ials':
      return {
        kind: 'ials',
        config,
        ials: {
          factors: json['factors'] as number,
          items: json['items'] as number,
          alpha: json['alpha'] as number,
          regularization: json['regularization'] as number,
          regularizationExponent: json['regularizationExponent'] as number,
          itemFactors: a['itemFactors'] as Float32Array,
          itemGram: a['itemGram'] as Float64Array,
        },
      };
    case 'ease':
      if (json['form'] === 'dual')
        return {
          kind: 'ease',
          config,
          dual: {
            itemCount: json['itemCount'] as number,
            users: json['users'] as number,
            itemPtr: a['itemPtr'] as Int32Array,
            itemUsers: a['itemUsers'] as Int32Array,
            itemValues: a['itemValues'] as Float32Array,
            kernel: a['kernel'] as Float32Array,
            diagonal: a['diagonal'] as Float32Array,
            inversePenalty: a['inversePenalty'] as Float32Array,
          },
        };
      return {
        kind: 'ease',
        config,
        primal: {
          itemCount: json['itemCount'] as number,
          modelItems: a['modelItems'] as Int32Array,
          positionOf: a['positionOf'] as Int32Array,
          weights: a['weights'] as Float32Array,
        },
      };
    case 'rp3beta':
    case 'item-knn':
      return {
        kind: config.kind,
        config,
        neighbours: {
          neighbours: {
            rows: json['rows'] as number,
            cols: json['cols'] as number,
            rowPtr: a['rowPtr'] as Int32Array,
            colIdx: a['colIdx'] as Int32Array,
            values: a['values'] as Float32Array,
          },
        },
      };
    case 'popularity':
      return { kind: 'popularity', config, scores: a['scores'] as Float32Array };
  }
}
