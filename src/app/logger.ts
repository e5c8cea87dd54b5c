import { pino, type Logger } from 'pino';

export type { Logger };

// Secrets never reach the log; personal data (numbers, digits, transcripts) only under these keys,
// so an operator can redact them by configuration.
const REDACT = [
  'password',
  '*.password',
  '*.*.password',
  'apiKey',
  '*.apiKey',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'token',
  '*.token',
  'secret',
  '*.secret',
  'webhookUrl',
  '*.webhookUrl',
];

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, redact: { paths: REDACT, censor: '[redacted]' }, base: { service: 'callflow' } }, destination as never);
}

/** A logger that writes nothing, for tests and the replay command. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
