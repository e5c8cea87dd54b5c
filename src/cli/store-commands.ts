import { createLogger } from '../app/logger.ts';
import { rebuildFromEvents } from '../app/rebuild.ts';
import { loadConfig } from '../config/load.ts';
import { directionPolicy } from '../domain/direction.ts';
import { openStore } from '../store/open-store.ts';
import { loadTenantRuleSet } from '../tenants/rule-set.ts';
import { TenantDirectory } from '../tenants/tenant-directory.ts';
import { TenantStore } from '../tenants/tenant-store.ts';
import { flagsToConfig, type CommonFlags } from './flags.ts';

// `callflow migrate` and `callflow rebuild CALL_ID`.

async function withStore<T>(flags: CommonFlags, fn: (store: Awaited<ReturnType<typeof openStore>>, config: ReturnType<typeof loadConfig>) => Promise<T>): Promise<T> {
  const config = loadConfig({ env: process.env, file: flags.config, flags: flagsToConfig(flags) });
  const logger = createLogger(config.log.level === 'info' ? 'warn' : config.log.level);
  const store = await openStore({ url: config.database.url, dataDir: config.database.dataDir, logger });
  try {
    return await fn(store, config);
  } finally {
    await store.close();
  }
}


export async function migrate(flags: CommonFlags): Promise<void> {
  await withStore(flags, async (store) => {
    await store.migrate();
    process.stdout.write(`migrations applied (${store.kind} database)\n`);
  });
}

export async function rebuild(callId: string, flags: CommonFlags): Promise<void> {
  await withStore(flags, async (store, config) => {
    const stored = await store.getCall(callId);
    if (!stored) {
      process.stderr.write(`call ${callId} not found\n`);
      process.exitCode = 1;
      return;
    }
    // The tenant is decided again by the rules as stored, as the engine's own rebuild does.
    const tenants = new TenantDirectory(await loadTenantRuleSet(new TenantStore(store.sql)));
    const record = rebuildFromEvents(await store.getEvents(callId), stored.server, directionPolicy(config.direction), callId, tenants.tenantOf);
    const identical = JSON.stringify(record) === JSON.stringify(stored);
    process.stdout.write(`${JSON.stringify(record)}\n`);
    process.stderr.write(identical ? 'rebuilt record is identical to the stored one\n' : 'rebuilt record DIFFERS from the stored one\n');
    if (!identical) process.exitCode = 2;
  });
}
