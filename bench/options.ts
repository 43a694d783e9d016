// Command-line options of the benchmarks: `--name value` pairs and bare `--flag`s.
const argv = process.argv.slice(2);

/** Whether `--name` is given. */
export function flag(name: string): boolean {
  return argv.includes(`--${name}`);
}

/** The value after `--name`, or undefined when absent. */
export function textOption(name: string): string | undefined {
  const at = argv.indexOf(`--${name}`);
  return at < 0 ? undefined : argv[at + 1];
}

/** A positive number after `--name` (a whole one unless `fractional`), else `fallback`. */
export function numberOption(name: string, fallback: number, fractional = false): number {
  const text = textOption(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!(fractional ? Number.isFinite(value) : Number.isInteger(value)) || value <= 0)
    throw new Error(`--${name} needs a positive ${fractional ? 'number' : 'integer'}`);
  return value;
}
