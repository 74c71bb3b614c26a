import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { buildRelay, RELAY_BUNDLE, RELAY_NODE_FLAGS, RELAY_ROOT, relayNodeArgs } from './launch.mjs';

const run = promisify(execFile);

describe('the relay as it runs in production', () => {
  it('compiles to one JavaScript file that node runs without a TypeScript loader', async () => {
    await buildRelay();
    const { stdout } = await run(process.execPath, relayNodeArgs(['--help']), { cwd: RELAY_ROOT });
    expect(stdout).toContain('Usage: trustmesh-relay');
    const bundle = await readFile(join(RELAY_ROOT, RELAY_BUNDLE), 'utf8');
    expect(bundle).not.toMatch(/from ['"][^'"]+\.ts['"]/);
  });

  it('npm run relay starts it as the other launchers do (same V8 flags, same file)', async () => {
    const pkg = JSON.parse(await readFile(join(RELAY_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.relay).toContain(`node ${relayNodeArgs().join(' ')}`);
    expect(pkg.scripts['relay:build']).toBe('node relay/launch.mjs build');
    expect(RELAY_NODE_FLAGS.length).toBeGreaterThan(0);
  });
});
