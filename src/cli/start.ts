import { createApp, simulatorEnabled } from '../app/compose.ts';
import { createLogger } from '../app/logger.ts';
import { loadConfig } from '../config/load.ts';
import { flagsToConfig, type StartFlags } from './flags.ts';

// `callflow start`: the engine, with the built-in simulator when no Asterisk is configured.

export async function start(flags: StartFlags): Promise<void> {
  const config = loadConfig({ env: process.env, file: flags.config, flags: flagsToConfig(flags) });
  const logger = createLogger(config.log.level);
  if (simulatorEnabled(config)) {
    logger.info('no Asterisk (ARI) server configured: running the built-in simulator; the calls you see are SIMULATED');
    logger.info('set ARI_URL, ARI_USERNAME and ARI_PASSWORD (or ARI_SERVERS) to connect to a real Asterisk');
  }
  logger.info(
    config.database.url ? { database: 'postgres' } : { database: 'embedded', dataDir: config.database.dataDir },
    config.database.url ? 'using PostgreSQL' : 'no DATABASE_URL: using the embedded database',
  );
  const app = await createApp(config, logger);
  const address = await app.start();
  logger.info({ address }, `listening: API ${address}/api/calls, dashboard ${address}/, docs ${address}/docs`);
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

