import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { isAppError } from '../errors.ts';
import { parsePort, type CommonFlags, type StartFlags } from './flags.ts';

// `callflow start | replay | migrate | rebuild`. Precedence: flag > environment > config file > default.
// Each command's module is loaded only when that command runs.

function common(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'JSON config file (also CALLFLOW_CONFIG)')
    .option('--database-url <url>', 'PostgreSQL connection string (also DATABASE_URL); embedded database when absent')
    .option('--data-dir <dir>', 'folder of the embedded database (also CALLFLOW_DATA_DIR, default ./data)')
    .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (also LOG_LEVEL)');
}

/** The version in package.json: tsx runs the sources in place, so it lies two folders up. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[]): Promise<void> {
  const program = new Command()
    .name('callflow')
    .description('Call records from Asterisk ARI events: durable history, REST API, live stream, CRM sync.')
    .version(packageVersion(), '-V, --version', 'print the version and exit')
    .showHelpAfterError();

  common(program.command('start').description('run the engine (the simulator when no ARI server is configured)'))
    .option('-p, --port <port>', 'HTTP port (also PORT, default 4100)', parsePort)
    .option('--host <host>', 'HTTP bind address (also HOST; default 127.0.0.1 without API keys, 0.0.0.0 with them)')
    .action(async (flags: StartFlags) => (await import('./start.ts')).start(flags));

  program
    .command('replay')
    .description('run raw ARI events (JSON lines, or {seq, recv_ts, event} lines) through the pipeline in memory')
    .argument('<file>', 'JSON lines file, or - for standard input')
    .option('--json', 'print each call record as one JSON line (default)', true)
    .option('--no-json', 'print one short line per call')
    .option('--server <name>', 'server name to file the events under', 'default')
    .action(async (file: string, options: { json?: boolean; server: string }) => (await import('./replay.ts')).replay(file, options));

  common(program.command('migrate').description('apply database migrations and exit')).action(async (flags: CommonFlags) =>
    (await import('./store-commands.ts')).migrate(flags),
  );

  common(program.command('rebuild').description('rebuild a call from its stored events and compare with the stored record'))
    .argument('<callId>')
    .action(async (callId: string, flags: CommonFlags) => (await import('./store-commands.ts')).rebuild(callId, flags));

  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.stderr.write(`callflow: ${isAppError(error) ? `${error.message} [${error.code}]` : (error as Error).message}\n`);
    process.exit(1);
  }
}
