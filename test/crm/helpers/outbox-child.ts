import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../../../src/app/logger.ts';
import { parseCrmConfig } from '../../../src/crm/config.ts';
import { createCrm } from '../../../src/crm/crm-service.ts';
import { openStore } from '../../../src/store/open-store.ts';

// An engine process that only delivers the outbox, for the crash test: it runs until nothing is left
// to deliver, or until the test kills it.
// argv[2]: JSON { databaseUrl?: string, dataDir?: string, crm: <crm config input> }

const options = JSON.parse(process.argv[2] ?? '{}') as { databaseUrl?: string; dataDir?: string; crm: unknown };
const store = await openStore({ url: options.databaseUrl, dataDir: options.dataDir ?? 'memory://' });
await store.migrate();
const crm = createCrm({ config: parseCrmConfig(options.crm), sql: store.sql, logger: silentLogger(), getCall: (id) => store.getCall(id) });
crm.worker.start();
process.stdout.write('ready\n');
for (;;) {
  await sleep(100);
  const [row] = await store.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM outbox WHERE status IN ('pending', 'delivering')");
  if (Number(row?.n) === 0) break;
}
await crm.close();
await store.close();
process.stdout.write('drained\n');
