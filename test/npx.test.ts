// `npx pullproof` as a user types it in a shell whose Node is the machine's own (Node 20 here, which
// cannot run the harness; npx runs it on the node@24 dev dependency): no warning the user did not cause.
import test from 'ava';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('npx pullproof prints no npm warning (no EBADENGINE for the machine\'s Node)', async (t) => {
  // The system's npx first on PATH, as in a login shell (not the one npm scripts put first).
  const PATH = ['/usr/local/bin', '/usr/bin', '/bin', process.env.PATH ?? ''].join(':');
  // npx links the project into its own cache on the first run, and checks the engines then: an empty
  // cache makes every run here a first run (as on a fresh machine, or after package.json changed).
  const cache = mkdtempSync(join(tmpdir(), 'pullproof-npx-cache-'));
  t.teardown(() => rmSync(cache, { recursive: true, force: true }));
  const { stdout, stderr } = await promisify(execFile)('npx', ['--offline', 'pullproof', '--version'], { cwd: ROOT, env: { ...process.env, PATH, npm_config_cache: cache, npm_config_update_notifier: 'false' } });
  t.regex(stdout, /^\d+\.\d+\.\d+/);
  t.is(stderr, '');
});
