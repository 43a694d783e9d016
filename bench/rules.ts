// Cost of compiled rules per candidate item: the three-clause filter and two conditional
// boosts of docs/rules.md over 100,000 generated items, against the same filter written
// by hand in TypeScript (the floor a compiled rule can approach).
// Usage (after `npm run build`): node build/bench/rules.js [--items 100000] [--passes 15]
import { parseArgs } from 'node:util';
import { itemFromInput, type Attributes, type Item } from '../src/core/domain/item.js';
import { createRandom } from '../src/core/models/random.js';
import { compileBoosts, compileFilter } from '../src/core/rules/index.js';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '100000' },
    passes: { type: 'string', default: '15' },
  },
});
const itemCount = Number(values.items);
const passes = Number(values.passes);

const GENRES = ['Drama', 'Comedy', 'Action', 'Thriller', 'Romance', 'Horror', 'Sci-Fi', 'Crime'];

function generateItems(count: number): Item[] {
  const random = createRandom(11);
  const items: Item[] = [];
  for (let i = 0; i < count; i++) {
    const categories = GENRES.filter(() => random.next() < 0.25);
    const attributes: Attributes =
      random.next() < 0.05
        ? {}
        : { year: 1950 + random.nextInt(75), price: Math.round(random.next() * 5000) / 100 };
    items.push(
      itemFromInput({ id: `item-${i}`, title: `Item ${i}`, categories, attributes }, 0, 0),
    );
  }
  return items;
}

/** Median over `passes` of the time to call `run` on every item, in ns per item. */
function nsPerItem<T>(items: readonly Item[], run: (item: Item) => T, sink: (value: T) => void) {
  const times: number[] = [];
  for (let pass = 0; pass < passes; pass++) {
    const started = process.hrtime.bigint();
    for (const item of items) sink(run(item));
    times.push(Number(process.hrtime.bigint() - started) / items.length);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]!;
}

const items = generateItems(itemCount);
const exclude = items.filter((_, index) => index % 97 === 0).map((item) => item.id);
const context = { exclude };

const filterSource = '"Drama" in categories and year >= 1990 and not (id in context.exclude)';
const boostSource = 'boost(2) if "Comedy" in categories; boost(0.5) if year < 1980';

let kept = 0;
const count = (pass: boolean): void => {
  if (pass) kept++;
};
let total = 0;
const add = (factor: number): void => {
  total += factor;
};

const compiled = compileFilter(filterSource).bind({ context });
const excludeSet = new Set(exclude);
const byHand = (item: Item): boolean => {
  const year = item.attributes['year'];
  return (
    item.categories.includes('Drama') &&
    typeof year === 'number' &&
    year >= 1990 &&
    !excludeSet.has(item.id)
  );
};
const boosts = compileBoosts(boostSource).bind({ context });

const bindStarted = process.hrtime.bigint();
const bindRounds = 10_000;
const compiledFilter = compileFilter(filterSource);
for (let i = 0; i < bindRounds; i++)
  compiledFilter.bind({ context: { exclude: exclude.slice(0, 50) } });
const bindNs = Number(process.hrtime.bigint() - bindStarted) / bindRounds;

const rows = [
  ['compiled filter', nsPerItem(items, compiled, count)],
  ['hand-written filter', nsPerItem(items, byHand, count)],
  ['compiled boosts (2)', nsPerItem(items, boosts, add)],
];
if (kept === 0 || total === 0)
  throw new Error('the rules matched nothing; the benchmark measured no work');

console.log(`${itemCount} items, median of ${passes} passes, node ${process.version}`);
console.log(`filter: ${filterSource}  (${exclude.length} excluded ids)`);
console.log(`boosts: ${boostSource}`);
for (const [name, ns] of rows)
  console.log(`${String(name).padEnd(22)} ${(ns as number).toFixed(1)} ns/item`);
console.log(`bind with a 50-id exclude list: ${(bindNs / 1000).toFixed(2)} µs`);
