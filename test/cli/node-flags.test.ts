import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENGINE_NODE_FLAGS } from '../../src/cli/node-flags.ts';

// The engine's V8 flags are spelled out where the process starts; they must be the ones the code (and the
// benchmarks) assume.

const root = new URL('../../', import.meta.url);

describe('engine V8 flags', () => {
  it('are passed by npm start and by the callflow script', () => {
    const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };
    const shebang = readFileSync(new URL('bin/callflow.js', root), 'utf8').split('\n')[0]!;
    expect(ENGINE_NODE_FLAGS.length).toBeGreaterThan(0);
    for (const flag of ENGINE_NODE_FLAGS) {
      expect(pkg.scripts.start!.split(' ')).toContain(flag);
      expect(shebang.split(' ')).toContain(flag);
    }
    expect(shebang.startsWith('#!/usr/bin/env -S node ')).toBe(true);
  });
});
