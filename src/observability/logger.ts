import { pino, type Logger } from 'pino';

/** Structured JSON logs; secrets are redacted by path wherever they might appear. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'kindred' },
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers["x-api-key"]',
          '*.masterKey',
          'auth.masterKey',
        ],
        censor: '***',
      },
    },
    destination ?? pino.destination({ fd: 2, sync: false }),
  );
}
