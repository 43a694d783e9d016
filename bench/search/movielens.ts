import { existsSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { BenchDataset, BenchDocument } from './documents.js';

const REPOSITORY_COPY = 'datasets/movielens-small/movies.csv.gz';
/** The shared data set beside a checkout, used only when the repository copy is missing. */
const SHARED_COPY = '../shared/datasets/movielens-small/movies.csv';

/** Splits one CSV line, honouring double-quoted fields ("American President, The"). */
function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i] as string;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      fields.push(field);
      field = '';
    } else field += ch;
  }
  fields.push(field);
  return fields;
}

/** MovieLens-small movies (movieId,title,year,genres), from the repository copy if present. */
export function loadMovieLens(root: string): BenchDataset {
  const repositoryCopy = `${root}/${REPOSITORY_COPY}`;
  const csv = existsSync(repositoryCopy)
    ? gunzipSync(readFileSync(repositoryCopy)).toString('utf8')
    : readFileSync(`${root}/${SHARED_COPY}`, 'utf8');
  const documents: BenchDocument[] = [];
  for (const line of csv.split('\n').slice(1)) {
    if (line.trim() === '') continue;
    const [, title = '', year = '', genres = ''] = parseCsvLine(line);
    documents.push({
      id: documents.length,
      title,
      description: '',
      categories: genres === '(no genres listed)' ? [] : genres.split('|'),
      brand: '',
      price: 0,
      year: Number(year) || 0,
    });
  }
  return {
    name: 'MovieLens-small',
    documents,
    textFields: [],
    facets: ['categories'],
    filter: { attribute: 'year', atLeast: 1990 },
  };
}
