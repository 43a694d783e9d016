// Child-process entry: the staged test app listening on 127.0.0.1 (port 0). Prints one
// JSON line `{"url": ...}` on stdout once listening; stops on SIGTERM. Settings come from
// KINDRED_* variables like the real server's.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { buildStagedApp } from './staged-app.js';

export const STAGED_SERVER_SCRIPT = fileURLToPath(import.meta.url);

async function main(): Promise<void> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env))
    if (key.startsWith('KINDRED_') && value !== undefined) env[key] = value;
  const staged = await buildStagedApp({
    env,
    gateway: process.env['KINDRED_TEST_NO_GATEWAY'] !== '1',
    logger: pino({ level: env['KINDRED_LOG_LEVEL'] ?? 'warn' }, pino.destination(2)),
  });
  // Seed some users and items so that the real read routes have data.
  const events = Array.from({ length: 2000 }, (_, i) => ({
    type: 'view',
    userId: `user-${i % 100}`,
    itemId: `item-${i % 997}`,
  }));
  await staged.engine.writes.recordInteractions(events, { source: 'seed', partial: true });
  const url = await staged.app.listen({ host: '127.0.0.1', port: 0 });
  process.stdout.write(`${JSON.stringify({ url, pid: process.pid })}\n`);
  process.once('SIGTERM', () => {
    staged.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}

if (process.argv[1] === STAGED_SERVER_SCRIPT) void main();

/** Starts the staged server in a child process; resolves with its URL. */
export async function startStagedServer(
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<{ url: string; child: ChildProcess; stop(): Promise<void> }> {
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith('KINDRED_')) childEnv[key] = value;
  const child = spawn(process.execPath, [...nodeArgs, STAGED_SERVER_SCRIPT], {
    env: { ...childEnv, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('staged server did not start')), 30_000);
    lines.once('line', (line) => {
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`staged server exited (${code})`)));
  });
  // A failed test must never leave a server running.
  const killOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killOnExit);
  void exited.then(() => process.off('exit', killOnExit));
  return {
    url,
    child,
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
