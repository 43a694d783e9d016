import { readFileSync } from 'node:fs';

export interface Ratings {
  readonly users: Int32Array;
  readonly items: Int32Array;
  readonly ratings: Float32Array;
  readonly timestamps: Float64Array;
  readonly userCount: number;
  readonly itemCount: number;
}

/**
 * Reads a MovieLens ratings.csv (userId,movieId,rating,timestamp) and maps the ids to
 * dense indexes in order of first appearance.
 */
export function loadMovieLensRatings(path: string): Ratings {
  const lines = readFileSync(path, 'utf8').split('\n');
  const userIndex = new Map<string, number>();
  const itemIndex = new Map<string, number>();
  const users: number[] = [];
  const items: number[] = [];
  const ratings: number[] = [];
  const timestamps: number[] = [];
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const [userId, movieId, rating, timestamp] = line.split(',');
    if (
      userId === undefined ||
      movieId === undefined ||
      rating === undefined ||
      timestamp === undefined
    ) {
      throw new Error(`malformed line: ${line}`);
    }
    users.push(indexOf(userIndex, userId));
    items.push(indexOf(itemIndex, movieId));
    ratings.push(Number(rating));
    timestamps.push(Number(timestamp));
  }
  return {
    users: Int32Array.from(users),
    items: Int32Array.from(items),
    ratings: Float32Array.from(ratings),
    timestamps: Float64Array.from(timestamps),
    userCount: userIndex.size,
    itemCount: itemIndex.size,
  };
}

function indexOf(index: Map<string, number>, id: string): number {
  let value = index.get(id);
  if (value === undefined) index.set(id, (value = index.size));
  return value;
}
