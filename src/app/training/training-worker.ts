// The training thread: fits a pipeline on a snapshot of the interactions and hands back
// the encoded artifact, so the server's event loop never waits on a model. iALS spreads
// its sweeps over further worker threads of its own (training.threads).
import { parentPort, workerData } from 'node:worker_threads';
import { InteractionTypes } from '../../core/domain/interaction.js';
import { encodeArtifact } from '../../core/recommend/artifact.js';
import { trainPipeline } from '../../core/recommend/train-pipeline.js';
import type { TrainingJob, TrainingReply } from './training-job.js';

const port = parentPort;
if (port === null) throw new Error('training-worker must run as a worker thread');
const job = workerData as TrainingJob;
const send = (reply: TrainingReply, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(reply, transfer);

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
    threads: job.threads,
    k: job.k,
    holdout: job.holdout,
    trendingHalfLifeSeconds: job.trendingHalfLifeSeconds,
    onProgress: (stage, detail) =>
      send({ kind: 'progress', stage, ...(detail === undefined ? {} : { detail }) }),
  });
  const artifact = encodeArtifact(
    { offset: job.offset, fingerprint: job.fingerprint },
    outcome.model,
  );
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
      config: outcome.model.config,
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
