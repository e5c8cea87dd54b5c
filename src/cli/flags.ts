import { InvalidArgumentError } from 'commander';
import type { ConfigInput } from '../config/schema.ts';

// Flags shared by the commands, and how they map onto the configuration (flags win over everything).

export interface CommonFlags {
  config?: string;
  databaseUrl?: string;
  dataDir?: string;
  logLevel?: string;
}

export interface StartFlags extends CommonFlags {
  port?: number;
  host?: string;
}

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number 0-65535');
  return n;
}

export function flagsToConfig(flags: StartFlags): ConfigInput {
  return {
    http: { port: flags.port, host: flags.host },
    database: { url: flags.databaseUrl, dataDir: flags.dataDir },
    log: flags.logLevel ? { level: flags.logLevel as never } : undefined,
  } as ConfigInput;
}
