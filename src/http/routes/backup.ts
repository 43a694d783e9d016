import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ErrorBody } from '../../contracts/schemas.js';
import { takeBackup } from '../../app/backup/backup.js';
import { KindredError } from '../../errors/catalog.js';
import type { HttpContext } from '../context.js';

/** A backup of a large deployment takes longer than a request should: its own limit. */
const BACKUP_LIMIT_MS = 30 * 60 * 1000;

export function registerBackupRoutes(app: FastifyInstance, context: HttpContext): void {
  const { engine } = context;
  app.get(
    '/v1/admin/backup',
    {
      config: { policy: { scope: 'admin', pool: 'admin' } } as const,
      handlerTimeout: BACKUP_LIMIT_MS,
      schema: {
        summary: 'A backup of this deployment, as a file (what `kindred backup` writes)',
        description:
          'The event log and the state store (snapshots, models, scenarios, API keys as stored), copied ' +
          'while the server serves and takes writes. `Kindred-Position` gives the last log position it ' +
          'holds. Restore it with `kindred restore FILE --data DIR`. Embedded storage only.',
        tags: ['admin'],
        produces: ['application/octet-stream'],
        response: { '4xx': ErrorBody, '5xx': ErrorBody },
      },
    },
    async (_request, reply) => {
      if (engine.log.copyTo === undefined || engine.store.copyTo === undefined)
        throw new KindredError(
          'INVALID_REQUEST',
          'this deployment stores its data in PostgreSQL: back the database up with its own tools',
        );
      const work = await mkdtemp(join(tmpdir(), 'kindred-backup-'));
      const file = join(work, 'backup.kbak');
      try {
        const manifest = await takeBackup({ log: engine.log, store: engine.store }, file);
        const stream = createReadStream(file);
        stream.once('close', () => void rm(work, { recursive: true, force: true }));
        return reply
          .header('content-type', 'application/octet-stream')
          .header('content-disposition', `attachment; filename="kindred-${manifest.position}.kbak"`)
          .header('kindred-position', String(manifest.position))
          .send(stream);
      } catch (error) {
        await rm(work, { recursive: true, force: true });
        throw error;
      }
    },
  );
}
