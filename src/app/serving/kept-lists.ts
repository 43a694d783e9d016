// Users' lists ranked ahead and kept (per user, and per user within each category): built
// from config, warmed a few ms at a time once a model is ready, and dropped for a user
// when something about them changes.
import type { Logger } from 'pino';
import type { KindredConfig } from '../../config/settings.js';
import type { StoredEvent } from '../../core/events/envelope.js';
import { EventTypes } from '../../core/events/event-types.js';
import type { ReadModels } from '../../core/projections/read-models.js';
import type { Recommender } from '../../core/recommend/recommender.js';
import { MaterializedLists } from '../../core/serving/materialized-lists.js';
import { telemetry } from '../../observability/metrics.js';
import { runInSlices } from '../run-in-slices.js';

/** The kept lists the settings ask for, or undefined when they keep none. */
export function keptListsFrom(config: KindredConfig): MaterializedLists | undefined {
  const settings = config.serving;
  const keepsUsers = settings.materializedDepth > 0 && settings.materializedUsers > 0;
  if (!keepsUsers && settings.categoryLists <= 0) return undefined;
  return new MaterializedLists({
    // Depth 0: unfiltered requests go to the model every time.
    depth: keepsUsers ? settings.materializedDepth : 0,
    capacity: keepsUsers ? settings.materializedUsers : 0,
    categories: { depth: settings.categoryListDepth, capacity: settings.categoryLists },
    counters: {
      users: telemetry.cache('kept-lists'),
      categories: telemetry.cache('category-lists'),
    },
  });
}

/**
 * Ranks users' lists within each category ahead, a few ms at a time between requests,
 * once a model's category indexes and users' vectors are ready; `current` turning false
 * (a swap, a stop) ends it.
 */
export function warmCategoryLists(
  lists: MaterializedLists,
  recommender: Recommender,
  readModels: ReadModels,
  current: () => boolean,
  logger: Logger,
  version: string,
): void {
  const categories = recommender.partitionNames;
  if (categories.length === 0) return;
  lists.use(recommender);
  const started = Date.now();
  void runInSlices(
    lists.warm(readModels.histories, readModels.users.ids.size, categories),
    // Optional: a narrowed request ranks its own list when none is kept yet.
    { keepGoing: current, task: 'category-lists', quietMs: 20 },
  ).then(
    (ranked) => {
      if (ranked === undefined || !current()) return;
      logger.info(
        { version, lists: ranked, categories: categories.length, ms: Date.now() - started },
        'category lists ranked ahead',
      );
    },
    (error: unknown) => logger.warn({ err: error, version }, 'ranking category lists ahead failed'),
  );
}

/** An event about a user (an interaction, a change, a deletion) drops their kept lists. */
export function forgetChangedUsers(
  lists: MaterializedLists,
  readModels: ReadModels,
  events: readonly StoredEvent[],
): void {
  for (const event of events) {
    const payload = event.payload as { userId?: unknown; id?: unknown };
    let userId: unknown;
    if (event.type === EventTypes.interactionRecorded.type) userId = payload.userId;
    else if (
      event.type === EventTypes.userDeleted.type ||
      event.type === EventTypes.userPatched.type
    )
      userId = payload.id;
    else if (event.type === EventTypes.userUpserted.type)
      userId = (payload as { user?: { id?: unknown } }).user?.id;
    if (typeof userId !== 'string') continue;
    const user = readModels.users.ids.indexOf(userId);
    if (user !== undefined) lists.invalidate(user);
  }
}
