import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number): void;
  stop(): void;
}

/**
 * A progress bar on a terminal; elsewhere (CI, log files) a line every few seconds, so
 * long jobs show they are alive without flooding logs.
 */
export function createProgress(label: string, total: number, unit: string): Progress {
  const started = performance.now();
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | {rate}/s | eta {eta}s`,
        stream: process.stderr,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(Math.max(total, 1), 0, { rate: 0 });
    return {
      update(done) {
        const seconds = (performance.now() - started) / 1000;
        bar.update(done, { rate: seconds > 0 ? Math.round(done / seconds) : 0 });
      },
      stop() {
        bar.stop();
      },
    };
  }
  let lastPrinted = started;
  return {
    update(done) {
      const now = performance.now();
      if (now - lastPrinted < 5000) return;
      lastPrinted = now;
      const rate = Math.round(done / ((now - started) / 1000));
      process.stderr.write(`${label}: ${done}/${total} ${unit} (${rate}/s)\n`);
    },
    stop() {},
  };
}
