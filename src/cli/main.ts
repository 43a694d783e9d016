import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.js';
import { registerServe } from './commands/serve.js';
import { registerConfig } from './commands/config.js';
import { registerReplay } from './commands/replay.js';
import { registerImport } from './commands/import.js';
import { registerExport } from './commands/export.js';
import { registerBackup } from './commands/backup.js';
import { registerLoad } from './commands/load.js';
import { registerTrain } from './commands/train.js';
import { registerEval } from './commands/eval.js';
import { registerModels } from './commands/models.js';
import { registerKeys } from './commands/keys.js';

export function buildProgram(): Command {
  const program = new Command('kindred')
    .description('Kindred: real-time recommendations and search')
    .version('0.1.0')
    .exitOverride();
  registerServe(program);
  registerReplay(program);
  registerImport(program);
  registerExport(program);
  registerBackup(program);
  registerLoad(program);
  registerTrain(program);
  registerEval(program);
  registerModels(program);
  registerKeys(program);
  registerConfig(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode;
      return;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`kindred: ${error.message}\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
}
