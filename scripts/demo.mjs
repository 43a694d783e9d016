// `npm run demo`: the engine with the MovieLens-small sample that ships in the repository,
// imported and trained, serving on http://127.0.0.1:7878 (KINDRED_PORT to change it).
// The data lives in .kindred/demo (KINDRED_DATA_DIR to change it); a second run reuses it.
// KINDRED_TRAINING_BUDGET_SECONDS shortens the automatic search (default 120 s).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../dist/src/config/load.js';
import { createLogger } from '../dist/src/observability/logger.js';
import { runImport } from '../dist/src/cli/commands/import.js';
import { formatRecord } from '../dist/src/cli/commands/train.js';
import { startEmbeddedServer } from '../dist/src/roles/embedded.js';

const dataDir = process.env.KINDRED_DATA_DIR || '.kindred/demo';
const config = loadConfig({
  env: { ...process.env, KINDRED_DATA_DIR: dataDir, KINDRED_TRAINING_ON_START: 'false' },
});
const quiet = createLogger(process.env.KINDRED_LOG_LEVEL || 'warn');
const say = (text) => process.stdout.write(`${text}\n`);

if (!existsSync(join(dataDir, 'events.db'))) {
  say(`Importing the MovieLens-small sample into ${dataDir} ...`);
  for (const [kind, file, type] of [
    ['items', 'datasets/movielens-small/movies.csv.gz', undefined],
    ['interactions', 'datasets/movielens-small/ratings.csv.gz', 'rating'],
  ]) {
    const summary = await runImport(config, quiet, { kind, file, type, batch: 10_000 });
    say(`  ${kind}: ${summary.imported} imported in ${summary.seconds.toFixed(1)} s`);
  }
}

const server = await startEmbeddedServer(config, quiet);
const { models, engine, url } = server;
if (models.serving.activeVersion === null) {
  say(
    `Training on ${engine.readModels.histories.size} ratings: the automatic search picks the models, ` +
      `their blend and hyperparameters (budget ${config.training.budgetSeconds} s) ...`,
  );
  const record = await models.trainer.train('start');
  say(formatRecord(record));
} else {
  say(
    `Serving model ${models.serving.activeVersion} (kindred train --data ${dataDir} to retrain).`,
  );
}

const catalog = engine.readModels.catalog;
const titled = (answer) =>
  answer.items
    .slice(0, 5)
    .map((item, rank) => `    ${rank + 1}. ${catalog.get(item.id)?.title || item.id}`)
    .join('\n');
say('\nFor user 1 (who rated 20 movies):');
say(titled(models.serving.recommendForUser('1', 10)));
say('Like "Toy Story (1995)" (item 1):');
say(titled(models.serving.similarItems('1', 10)));

say(`
Kindred is serving the demo at ${url}. Try:

  curl '${url}/v1/users/1/recommendations?k=10'
  curl '${url}/v1/items/1/similar?k=10'
  curl '${url}/v1/trending?k=10'
  curl '${url}/v1/models'
  curl '${url}/openapi.json'

A new user is personalized from their very first interactions:

  curl -X POST ${url}/v1/events -H 'content-type: application/json' -d '{"events": [
    {"type": "rating", "userId": "newcomer", "itemId": "260", "value": 5},
    {"type": "rating", "userId": "newcomer", "itemId": "1196", "value": 5},
    {"type": "rating", "userId": "newcomer", "itemId": "1210", "value": 4.5}]}'
  curl '${url}/v1/users/newcomer/recommendations?k=10'

Ctrl-C stops it.`);

const stop = (signal) => {
  say(`\n${signal}: stopping`);
  server.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.once('SIGINT', () => stop('SIGINT'));
process.once('SIGTERM', () => stop('SIGTERM'));
