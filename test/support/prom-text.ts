// A strict parser of the Prometheus text exposition format (0.0.4): it throws on anything
// a Prometheus server would reject or that the format forbids (bad names, bad escapes,
// duplicate series, samples before their TYPE, histogram buckets out of order or not
// cumulative, a missing +Inf bucket or _count that disagrees with it).

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  type: string;
  help: string;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: number): number {
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text))
    throw new Error(`line ${line}: bad value "${text}"`);
  return Number(text);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: label without "="`);
    const name = text.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name "${name}"`);
    if (name in labels) throw new Error(`line ${line}: duplicate label "${name}"`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value not quoted`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const next = text[j + 1];
        if (next === 'n') value += '\n';
        else if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else throw new Error(`line ${line}: bad escape "\\${next ?? ''}"`);
        j += 2;
        continue;
      }
      if (c === '\n') throw new Error(`line ${line}: raw newline in label value`);
      value += c;
      j++;
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (i < text.length) throw new Error(`line ${line}: expected "," between labels`);
  }
  return labels;
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  for (const suffix of ['_bucket', '_sum', '_count', '']) {
    if (!sampleName.endsWith(suffix)) continue;
    const family = families.get(sampleName.slice(0, sampleName.length - suffix.length));
    if (family && (suffix === '' || family.type === 'histogram' || family.type === 'summary'))
      return family;
  }
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const seen = new Set<string>();
  const lines = text.split('\n');
  lines.pop();
  lines.forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === '') return;
    if (raw.startsWith('#')) {
      const match = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(raw);
      if (!match) return; // other comments are allowed
      const [, kind, name, rest = ''] = match;
      if (!METRIC_NAME.test(name as string)) throw new Error(`line ${line}: bad metric name`);
      let family = families.get(name as string);
      if (!family) {
        family = { name: name as string, type: 'untyped', help: '', samples: [] };
        families.set(name as string, family);
      }
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`line ${line}: bad type "${rest}"`);
        if (family.samples.length > 0) throw new Error(`line ${line}: TYPE after samples`);
        family.type = rest;
      } else family.help = rest;
      return;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(raw);
    if (!match) throw new Error(`line ${line}: not a sample: ${raw}`);
    const [, name, labelText = '', valueText] = match;
    const labels = parseLabels(labelText, line);
    const value = parseValue(valueText as string, line);
    const family = familyOf(name as string, families);
    if (!family) throw new Error(`line ${line}: sample ${name} has no TYPE/HELP before it`);
    const key = `${name}{${Object.entries(labels)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`;
    if (seen.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    seen.add(key);
    if (family.type === 'counter' && !(value >= 0))
      throw new Error(`line ${line}: negative counter`);
    family.samples.push({ name: name as string, labels, value });
  });
  for (const family of families.values()) if (family.type === 'histogram') checkHistogram(family);
  return families;
}

function checkHistogram(family: Family): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const sample of family.samples) {
    const { le, ...rest } = sample.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    let entry = series.get(key);
    if (!entry) series.set(key, (entry = { buckets: [] }));
    if (sample.name === `${family.name}_bucket`) {
      if (le === undefined) throw new Error(`${family.name}: bucket without le`);
      entry.buckets.push([parseValue(le, 0), sample.value]);
    } else if (sample.name === `${family.name}_count`) entry.count = sample.value;
  }
  for (const [key, { buckets, count }] of series) {
    if (buckets.length === 0) throw new Error(`${family.name}${key}: no buckets`);
    for (let i = 1; i < buckets.length; i++) {
      const [le, n] = buckets[i] as [number, number];
      const [prevLe, prevN] = buckets[i - 1] as [number, number];
      if (!(le > prevLe)) throw new Error(`${family.name}${key}: buckets out of order`);
      if (n < prevN) throw new Error(`${family.name}${key}: buckets not cumulative`);
    }
    const last = buckets[buckets.length - 1] as [number, number];
    if (last[0] !== Infinity) throw new Error(`${family.name}${key}: no +Inf bucket`);
    if (count !== last[1])
      throw new Error(`${family.name}${key}: _count ${count} != +Inf ${last[1]}`);
  }
}
