// Runs on `npm install`: builds the dashboard into web/dist when the build tools (dev dependencies) are
// installed. A production install (`npm install --omit=dev`) has no Vite: it skips the build with a note.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const vite = 'node_modules/vite/bin/vite.js';
if (!existsSync(vite)) {
  console.log('callflow: Vite is not installed (production install); the dashboard is not built. Build it with a full `npm install`.');
  process.exit(0);
}
const result = spawnSync(process.execPath, [vite, 'build', '--config', 'web/vite.config.ts'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
