// Test switches are out of a user's reach: nothing under harness/ reads a PULLPROOF_TEST_* variable,
// so setting one in a user's shell does nothing; only the test entry point
// (test/helpers/pullproof-test-entry.ts) turns them into hooks. Needs neither root nor Docker.
import test from 'ava';
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Cleanup } from '../harness/util/cleanup.ts';
import { PROJECT_ROOT } from '../harness/util/paths.ts';
import { registerSecret, type SecretSnapshot } from '../harness/util/secrets.ts';
import { testHooks } from '../harness/util/test-hooks.ts';
import { TEST_ENTRY, pullproof } from './helpers/cli.ts';

function tsFilesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? tsFilesUnder(p) : p.endsWith('.ts') ? [p] : [];
  });
}

test('no file under harness/ reads a test switch from the environment, or imports from test/', (t) => {
  const offenders = tsFilesUnder(join(PROJECT_ROOT, 'harness'))
    .map((f) => ({ f: relative(PROJECT_ROOT, f), text: readFileSync(f, 'utf8') }))
    .filter(({ text }) => (/env(?:\?\.|\.|\[['"`])PULLPROOF_TEST_/.test(text) || /from '(\.\.\/)+test\//.test(text)))
    .map(({ f }) => f);
  t.deepEqual(offenders, []);
});

test('cleanup hands every registered secret to the hook only when a test installed it; the old variable does nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-seam-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
    delete process.env.PULLPROOF_TEST_SECRETS_FILE;
    delete testHooks.secretsAtCleanup;
  });
  registerSecret('SeamSecret1234567890');
  process.env.PULLPROOF_TEST_SECRETS_FILE = join(dir, 'secrets.json');
  await new Cleanup().runAll();
  t.false(existsSync(join(dir, 'secrets.json')), 'the environment variable alone writes nothing');
  t.is(testHooks.secretsAtCleanup, undefined);

  let got: SecretSnapshot | undefined;
  testHooks.secretsAtCleanup = (s) => { got = s; };
  await new Cleanup().runAll();
  t.true(got?.values.includes('SeamSecret1234567890'));
});

test('a user run with PULLPROOF_TEST_SECRETS_FILE set writes no secrets; the test entry does, short --env values as field secrets', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'pullproof-test-seam-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  // A plugin that fails and prints its environment (the short value among ordinary words) on stderr.
  const plugin = join(dir, 'leaky-plugin');
  writeFileSync(plugin, '#!/bin/sh\necho "config AWS_REGION=$AWS_REGION for eu users in europe" >&2\nexit 1\n');
  chmodSync(plugin, 0o755);
  const args = ['certify', '--plugin', plugin, '--image', 'registry.example/org/app', '--env', 'AWS_REGION=eu', '--json', '--timeout', '10s'];

  const user = await pullproof(args, { PULLPROOF_TEST_SECRETS_FILE: join(dir, 'user.json') });
  t.is(user.code, 1, user.stderr);
  t.false(existsSync(join(dir, 'user.json')), 'bin/pullproof.js ignores the test variable');
  const printed = user.stdout + user.stderr;
  t.regex(printed, /config AWS_REGION=<redacted> for eu users in europe/, 'the value goes where it is the field\'s value, and only there');
  t.notRegex(printed, /AWS_REGION=eu\b/);

  const viaTest = await pullproof(args, { PULLPROOF_TEST_SECRETS_FILE: join(dir, 'test.json') }, { entry: TEST_ENTRY });
  t.is(viaTest.code, 1, viaTest.stderr);
  const dumped = JSON.parse(readFileSync(join(dir, 'test.json'), 'utf8')) as SecretSnapshot;
  t.deepEqual(dumped.fields, [{ field: 'AWS_REGION', value: 'eu' }]);
  t.is((statSync(join(dir, 'test.json')).mode & 0o777).toString(8), '600');
});
