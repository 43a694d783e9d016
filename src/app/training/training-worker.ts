// The training thread: fits a pipeline on a snapshot of the interactions and hands back
// the encoded artifact, so the server's event loop never waits on a model. iALS spreads
// its sweeps over further worker threads of its own (training.threads).
import { parentPort, workerData } from 'node:worker_threads';
import { InteractionTypes } from '../../core/domain/interaction.js';
import { encodeArtifact } from '../../core/recommend/artifact.js';
import { LogHistories } from '../../core/recommend/offline.js';
import { type PipelineModel, Recommender } from '../../core/recommend/recommender.js';
import { trainPipeline } from '../../core/recommend/train-blend.js';
import { ialsThreadPool } from './ials-thread-pool.js';
import type { TrainingJob, TrainingReply } from './training-job.js';

const port = parentPort;
if (port === null) throw new Error('training-worker must run as a worker thread');
const job = workerData as TrainingJob;
const send = (reply: TrainingReply, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(reply, transfer);

/**
 * The model with what lets serving start warm, computed here, off the event loop, from
 * the snapshot read in the read models' order: every user's iALS vector folded in, and
 * as many users' lists ranked ahead as `job.listsAhead` allows.
 */
function warmed(model: PipelineModel, job: TrainingJob, types: InteractionTypes): PipelineModel {
  const rows = Int32Array.from({ length: job.columns.users.length }, (_, row) => row);
  const histories = new LogHistories(job.columns, rows, job.size.users);
  const userVectors = new Recommender(model, types).foldInUsers(histories, job.size.users);
  const withVectors = userVectors === undefined ? model : { ...model, userVectors };
  const { depth, users, seconds } = job.listsAhead;
  if (depth === 0 || users === 0) return withVectors;
  const deadline = performance.now() + seconds * 1000;
  const userLists = new Recommender(withVectors, types).rankUsersAhead(
    histories,
    Math.min(users, job.size.users),
    depth,
    () => performance.now() < deadline,
  );
  return { ...withVectors, userLists };
}

try {
  const types = new InteractionTypes(
    job.interactionTypes.table,
    job.interactionTypes.ratingMidpoint,
  );
  const outcome = await trainPipeline({
    log: job.columns,
    types,
    size: job.size,
    ...(job.pipeline === undefined ? {} : { pipeline: job.pipeline }),
    budgetSeconds: job.budgetSeconds,
    requestBudgetMs: job.requestBudgetMs,
    threads: ialsThreadPool(job.threads),
    k: job.k,
    holdout: job.holdout,
    validation: job.validation,
    trendingHalfLifeSeconds: job.trendingHalfLifeSeconds,
    onProgress: (stage, detail) =>
      send({ kind: 'progress', stage, ...(detail === undefined ? {} : { detail }) }),
  });
  send({ kind: 'progress', stage: 'warm' });
  const model = warmed(outcome.model, job, types);
  const artifact = encodeArtifact({ offset: job.offset, fingerprint: job.fingerprint }, model);
  let search: Extract<TrainingReply, { kind: 'done' }>['search'];
  if (outcome.search !== undefined) {
    const { config: _config, ...rest } = outcome.search;
    void _config;
    search = rest;
  }
  send(
    {
      kind: 'done',
      artifact,
      config: model.config,
      interactions: outcome.interactions,
      ...(search === undefined ? {} : { search }),
      ...(outcome.evaluation === undefined ? {} : { evaluation: outcome.evaluation }),
      seconds: outcome.seconds,
    },
    [artifact.buffer as ArrayBuffer],
  );
} catch (error) {
  send({
    kind: 'failed',
    error: error instanceof Error ? (error.stack ?? error.message) : String(error),
  });
}
