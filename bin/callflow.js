#!/usr/bin/env -S node --max-semi-space-size=32
// Entry point for `npx callflow` and `npm start`: loads the TypeScript sources through tsx.
// The V8 flags (here and in package.json `start`) are explained in src/cli/node-flags.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
